import RevmuxJSON

/// Lowercases scalar by scalar, as Rust's `char::to_lowercase` (no final-sigma context).
public struct Lowercase: Normalizer {
    public init() {}

    init(json: JSONValue) {}

    public func normalize(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            HFUnicode.appendLowercase(scalar, to: &result)
        }
        return String(result)
    }
}
