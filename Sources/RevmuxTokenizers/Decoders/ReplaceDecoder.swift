import RevmuxJSON

/// Replaces a literal pattern in every token (Metaspace-era files turn "▁" into spaces).
public struct ReplaceDecoder: TokenDecoder {
    public var replacement: Replacement

    public init(_ replacement: Replacement) {
        self.replacement = replacement
    }

    init(json: JSONValue) throws(TokenizerError) {
        self.init(try Replacement(json: json, component: "Replace decoder"))
    }

    public func decode(_ tokens: [String]) -> [String] {
        tokens.map(replacement.apply(to:))
    }
}
