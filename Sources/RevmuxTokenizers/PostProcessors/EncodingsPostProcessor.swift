import RevmuxJSON

/// A post-processor that works as `tokenizers`' do: on the list of encodings (one, or a
/// pair) without merging them, so that a Sequence can chain several. Sequence `i` arrives
/// with type id `i`; the results are concatenated at the end.
public protocol EncodingsPostProcessor: PostProcessor {
    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding]
}

extension EncodingsPostProcessor {
    public func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding {
        var encodings = [first] + (second.map { [$0] } ?? [])
        for index in encodings.indices {
            encodings[index].typeIds = Array(repeating: index, count: encodings[index].count)
        }
        var merged = Encoding(ids: [])
        for encoding in processEncodings(encodings, addSpecialTokens: addSpecialTokens) { merged.append(encoding) }
        return merged
    }
}

extension Encoding {
    /// Special tokens as post-processors add them: attended, and flagged special.
    static func special(_ ids: [Int], typeId: Int) -> Encoding {
        Encoding(
            ids: ids, typeIds: Array(repeating: typeId, count: ids.count),
            specialTokensMask: Array(repeating: 1, count: ids.count), attentionMask: Array(repeating: 1, count: ids.count))
    }

    func withTypeId(_ typeId: Int) -> Encoding {
        var copy = self
        copy.typeIds = Array(repeating: typeId, count: count)
        return copy
    }
}

/// A `["token", id]` pair, as BertProcessing and RobertaProcessing spell sep and cls.
func tokenIDPair(_ json: JSONValue?, _ component: String, _ key: String) throws(TokenizerError) -> Int {
    guard let pair = json?.array, pair.count == 2, pair[0].string != nil, let id = pair[1].nonNegativeInt else {
        throw .invalid(component: component, reason: "\(key) must be [token, id]")
    }
    return id
}
