import RevmuxJSON

/// `<s> A </s>`, or `<s> A </s> </s> B </s>`; every type id is 0. Its trim_offsets and
/// add_prefix_space only move offsets, which encodings here do not carry.
public struct RobertaProcessing: EncodingsPostProcessor {
    public var sepID: Int
    public var clsID: Int

    public init(sepID: Int, clsID: Int) {
        self.sepID = sepID
        self.clsID = clsID
    }

    init(json: JSONValue) throws(TokenizerError) {
        self.init(
            sepID: try tokenIDPair(json["sep"], "RobertaProcessing", "sep"), clsID: try tokenIDPair(json["cls"], "RobertaProcessing", "cls"))
    }

    public func addedTokenCount(isPair: Bool) -> Int {
        isPair ? 4 : 2
    }

    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        let untyped = encodings.map { $0.withTypeId(0) }
        guard addSpecialTokens else { return untyped }
        return untyped.enumerated().map { index, encoding in
            var result = Encoding.special([index == 0 ? clsID : sepID], typeId: 0)
            result.append(encoding)
            result.append(.special([sepID], typeId: 0))
            return result
        }
    }
}
