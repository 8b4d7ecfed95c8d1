import RevmuxJSON

/// BERT's normalizer: removes control characters and turns every whitespace into a space,
/// puts spaces around CJK ideographs, strips accents (NFD, then drop nonspacing marks) and
/// lowercases; each step optional, always in that order.
public struct BertNormalizer: Normalizer {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    public var stripAccents: Bool
    public var lowercase: Bool

    /// An unset `stripAccents` follows `lowercase`, as in `tokenizers`.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    init(json: JSONValue) throws(TokenizerError) {
        func flag(_ key: String) throws(TokenizerError) -> Bool? {
            guard let value = json[key], !value.isNull else { return nil }
            guard let bool = value.bool else { throw .invalid(component: "BertNormalizer", reason: "\(key) must be a boolean") }
            return bool
        }
        self.init(
            cleanText: try flag("clean_text") ?? true, handleChineseChars: try flag("handle_chinese_chars") ?? true,
            stripAccents: try flag("strip_accents"), lowercase: try flag("lowercase") ?? true)
    }

    public func normalize(_ text: String) -> String {
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if cleanText {
                let isKeptControl = scalar == "\t" || scalar == "\n" || scalar == "\r"
                if scalar.value == 0 || scalar.value == 0xFFFD || (!isKeptControl && HFUnicode.isOther(scalar)) { continue }
                if HFUnicode.isWhitespace(scalar) {
                    cleaned.append(" ")
                    continue
                }
            }
            if handleChineseChars && HFUnicode.isChineseCharacter(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        guard stripAccents || lowercase else { return String(cleaned) }

        let decomposed = stripAccents ? HFUnicode.normalize(String(cleaned), .nfd) : String(cleaned)
        var result = String.UnicodeScalarView()
        for scalar in decomposed.unicodeScalars {
            if stripAccents && HFUnicode.isNonspacingMark(scalar) { continue }
            if lowercase {
                HFUnicode.appendLowercase(scalar, to: &result)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
