import RevmuxJSON

/// The NFC, NFD, NFKC and NFKD normalizers, with the Unicode 9.0 tables `tokenizers` uses.
public struct UnicodeNormalizer: Normalizer {
    public enum Form: Sendable {
        case nfc, nfd, nfkc, nfkd
    }

    public var form: Form

    public init(_ form: Form) {
        self.form = form
    }

    init(json: JSONValue) throws(TokenizerError) {
        switch try componentType(json, "normalizer") {
        case "NFC": self.init(.nfc)
        case "NFD": self.init(.nfd)
        case "NFKC": self.init(.nfkc)
        case "NFKD": self.init(.nfkd)
        case let other: throw .invalid(component: "normalizer", reason: "\(other) is not a Unicode normalization form")
        }
    }

    public func normalize(_ text: String) -> String {
        HFUnicode.normalize(text, form)
    }
}
