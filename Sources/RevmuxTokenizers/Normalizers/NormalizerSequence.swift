import RevmuxJSON

/// Runs normalizers one after the other.
public struct NormalizerSequence: Normalizer {
    public var normalizers: [any Normalizer]

    public init(_ normalizers: [any Normalizer]) {
        self.normalizers = normalizers
    }

    init(json: JSONValue) throws(TokenizerError) {
        guard let members = json["normalizers"]?.array else {
            throw .invalid(component: "normalizer Sequence", reason: "needs a normalizers array")
        }
        var normalizers: [any Normalizer] = []
        for member in members { normalizers.append(try makeNormalizer(member)) }
        self.init(normalizers)
    }

    public func normalize(_ text: String) -> String {
        normalizers.reduce(text) { $1.normalize($0) }
    }
}
