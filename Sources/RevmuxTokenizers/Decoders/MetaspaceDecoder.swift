import RevmuxJSON

/// Undoes `Metaspace`: replacement characters become spaces, except in the first token when a
/// prefix was prepended, where they are all dropped (as `tokenizers` does, not just the first).
public struct MetaspaceDecoder: TokenDecoder {
    public let replacement: Unicode.Scalar
    public let prependScheme: Metaspace.PrependScheme

    public init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: Metaspace.PrependScheme = .always) {
        self.replacement = replacement
        self.prependScheme = prependScheme
    }

    public init(json: JSONValue) throws(TokenizerError) {
        let (replacement, prependScheme, _) = try Metaspace.parse(json, component: "Metaspace decoder")
        self.init(replacement: replacement, prependScheme: prependScheme)
    }

    public func decode(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { index, token in
            guard token.unicodeScalars.contains(replacement) else { return token }
            let dropped = index == 0 && prependScheme != .never
            var scalars = String.UnicodeScalarView()
            for scalar in token.unicodeScalars {
                if scalar != replacement {
                    scalars.append(scalar)
                } else if !dropped {
                    scalars.append(" ")
                }
            }
            return String(scalars)
        }
    }
}
