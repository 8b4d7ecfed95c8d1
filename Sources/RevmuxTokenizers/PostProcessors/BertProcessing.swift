import RevmuxJSON

/// `[CLS] A [SEP]`, or `[CLS] A [SEP] B [SEP]` with B and its [SEP] of type 1.
public struct BertProcessing: EncodingsPostProcessor {
    public var sepID: Int
    public var clsID: Int

    public init(sepID: Int, clsID: Int) {
        self.sepID = sepID
        self.clsID = clsID
    }

    init(json: JSONValue) throws(TokenizerError) {
        self.init(sepID: try tokenIDPair(json["sep"], "BertProcessing", "sep"), clsID: try tokenIDPair(json["cls"], "BertProcessing", "cls"))
    }

    public func addedTokenCount(isPair: Bool) -> Int {
        isPair ? 3 : 2
    }

    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard addSpecialTokens else { return encodings }
        return encodings.enumerated().map { index, encoding in
            var result = index == 0 ? Encoding.special([clsID], typeId: 0) : Encoding(ids: [])
            result.append(encoding)
            result.append(.special([sepID], typeId: index == 0 ? 0 : 1))
            return result
        }
    }
}
