import RevmuxJSON

/// The Strip normalizer: removes whitespace (White_Space) at the start and/or end.
public struct StripNormalizer: Normalizer {
    public var left: Bool
    public var right: Bool

    public init(left: Bool = true, right: Bool = true) {
        self.left = left
        self.right = right
    }

    init(json: JSONValue) throws(TokenizerError) {
        guard let left = json["strip_left"]?.bool, let right = json["strip_right"]?.bool else {
            throw .invalid(component: "Strip normalizer", reason: "needs boolean strip_left and strip_right")
        }
        self.init(left: left, right: right)
    }

    public func normalize(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        if left {
            while let first = scalars.first, HFUnicode.isWhitespace(first) { scalars.removeFirst() }
        }
        if right {
            while let last = scalars.last, HFUnicode.isWhitespace(last) { scalars.removeLast() }
        }
        return String(scalars)
    }
}
