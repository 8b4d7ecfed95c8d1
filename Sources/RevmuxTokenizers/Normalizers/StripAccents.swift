import RevmuxJSON

/// Removes combining marks (Mn, Mc, Me). It does not decompose first: tokenizer.json
/// files put an NFD before it.
public struct StripAccents: Normalizer {
    public init() {}

    init(json: JSONValue) {}

    public func normalize(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !HFUnicode.isCombiningMark(scalar) {
            result.append(scalar)
        }
        return String(result)
    }
}
