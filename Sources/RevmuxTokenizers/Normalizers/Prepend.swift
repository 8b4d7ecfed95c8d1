import RevmuxJSON

/// Puts a fixed string in front of any non-empty text.
public struct Prepend: Normalizer {
    public var prefix: String

    public init(_ prefix: String) {
        self.prefix = prefix
    }

    init(json: JSONValue) throws(TokenizerError) {
        guard let prefix = json["prepend"]?.string else {
            throw .invalid(component: "Prepend normalizer", reason: "needs a string prepend")
        }
        self.init(prefix)
    }

    public func normalize(_ text: String) -> String {
        text.isEmpty ? text : prefix + text
    }
}
