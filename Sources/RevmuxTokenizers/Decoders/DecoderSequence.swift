import RevmuxJSON

/// Runs decoders one after the other on the token list.
public struct DecoderSequence: TokenDecoder {
    public var decoders: [any TokenDecoder]

    public init(_ decoders: [any TokenDecoder]) {
        self.decoders = decoders
    }

    init(json: JSONValue) throws(TokenizerError) {
        guard let members = json["decoders"]?.array else {
            throw .invalid(component: "decoder Sequence", reason: "needs a decoders array")
        }
        var decoders: [any TokenDecoder] = []
        for member in members { decoders.append(try makeDecoder(member)) }
        self.init(decoders)
    }

    public func decode(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { $1.decode($0) }
    }
}
