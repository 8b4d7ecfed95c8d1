import RevmuxJSON

/// Joins all tokens into one.
public struct Fuse: TokenDecoder {
    public init() {}

    init(json: JSONValue) {}

    public func decode(_ tokens: [String]) -> [String] {
        [tokens.joined()]
    }
}
