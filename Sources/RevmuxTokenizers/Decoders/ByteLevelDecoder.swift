import RevmuxJSON

/// Reverses the byte-level spelling: every character of a token stands for one byte, and
/// the bytes of all tokens are read as UTF-8 (invalid sequences become U+FFFD).
public struct ByteLevelDecoder: TokenDecoder {
    public init() {}

    init(json: JSONValue) throws(TokenizerError) {}

    public func decode(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            for scalar in token.unicodeScalars {
                guard let byte = ByteLevelAlphabet.byte(of: scalar) else {
                    // A token with any other character (an added token, say) is kept as is.
                    bytes.removeSubrange(start...)
                    bytes += token.utf8
                    break
                }
                bytes.append(byte)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
