import RevmuxJSON

/// `tokenizers`' ByteLevel post-processor. It only trims offsets, which revmux does not
/// report, so ids pass through: a pair is the two sequences one after the other.
public struct ByteLevelPostProcessor: PostProcessor {
    public init() {}

    init(json: JSONValue) throws(TokenizerError) {}

    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var result = first
        if let second { result.append(second) }
        return result
    }

    public func addedTokenCount(isPair: Bool) -> Int { 0 }
}
