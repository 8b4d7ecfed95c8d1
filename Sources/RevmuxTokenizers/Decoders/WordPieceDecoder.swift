import RevmuxJSON

/// Joins WordPiece tokens: a "##" continuation is glued to the token before it, any other
/// token gets a space; `cleanup` then undoes BERT's spacing around punctuation and
/// English contractions, token by token.
public struct WordPieceDecoder: TokenDecoder {
    public var prefix: String
    public var cleanup: Bool

    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    init(json: JSONValue) throws(TokenizerError) {
        var decoder = WordPieceDecoder()
        if let prefix = json["prefix"] {
            guard let string = prefix.string else { throw .invalid(component: "WordPiece decoder", reason: "prefix must be a string") }
            decoder.prefix = string
        }
        if let cleanup = json["cleanup"] {
            guard let bool = cleanup.bool else { throw .invalid(component: "WordPiece decoder", reason: "cleanup must be a boolean") }
            decoder.cleanup = bool
        }
        self = decoder
    }

    private static let cleanups = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { Replacement(pattern: $0.0, content: $0.1) }

    public func decode(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            var text = token
            if index > 0 {
                // Byte-wise: Swift's hasPrefix compares characters, so "##" + U+0301 would not match.
                if token.utf8.starts(with: prefix.utf8) {
                    text = String(decoding: token.utf8.dropFirst(prefix.utf8.count), as: UTF8.self)
                } else {
                    text = " " + token
                }
            }
            return cleanup ? Self.cleanups.reduce(text) { $1.apply(to: $0) } : text
        }
    }
}
