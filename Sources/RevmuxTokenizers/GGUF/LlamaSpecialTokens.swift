/// The special tokens llama.cpp adds around a text (`add_special`): BOS and EOS as the
/// vocabulary's add_bos / add_eos flags say, or for a WordPiece (BERT) vocabulary always
/// [CLS] ... [SEP]. A pair is joined as llama.cpp's reranking joins a query and a document:
/// BOS query EOS SEP document EOS, each where its flag asks for it, with the EOS falling
/// back to the separator; the document's positions have type id 1.
struct LlamaSpecialTokens: PostProcessor {
    let bos: Int?
    let eos: Int?
    let separator: Int?
    let addBOS: Bool
    let addEOS: Bool
    let addSeparator: Bool
    /// WordPiece vocabularies: one text is always [CLS] text [SEP].
    let bertStyle: Bool

    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        guard addSpecialTokens else {
            var result = first
            if let second { result.append(second) }
            return result
        }
        let (before, between, after) = layout(isPair: second != nil)
        var result = Self.special(before, typeId: 0)
        result.append(first)
        guard let second else {
            result.append(Self.special(after, typeId: 0))
            return result
        }
        result.append(Self.special(between, typeId: 0))
        result.append(second)
        result.append(Self.special(after, typeId: 1))
        return result
    }

    func addedTokenCount(isPair: Bool) -> Int {
        let (before, between, after) = layout(isPair: isPair)
        return before.count + between.count + after.count
    }

    /// The ids before the first text, between the two, and after the last.
    private func layout(isPair: Bool) -> (before: [Int], between: [Int], after: [Int]) {
        if !isPair {
            if bertStyle { return (bos.map { [$0] } ?? [], [], separator.map { [$0] } ?? []) }
            return (addBOS ? bos.map { [$0] } ?? [] : [], [], addEOS ? eos.map { [$0] } ?? [] : [])
        }
        let end = addEOS ? (eos ?? separator).map { [$0] } ?? [] : []
        let sep = addSeparator ? separator.map { [$0] } ?? [] : []
        return (addBOS ? bos.map { [$0] } ?? [] : [], end + sep, end)
    }

    private static func special(_ ids: [Int], typeId: Int) -> Encoding {
        Encoding(ids: ids, typeIds: Array(repeating: typeId, count: ids.count),
                 specialTokensMask: Array(repeating: 1, count: ids.count), attentionMask: Array(repeating: 1, count: ids.count))
    }
}
