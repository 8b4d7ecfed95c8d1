/// A complete tokenizer: the `tokenizers` pipeline, built from a tokenizer.json or a
/// GGUF vocabulary, giving the same ids as the library that made the file.
public struct Tokenizer: Sendable {
    public let addedVocabulary: AddedVocabulary
    public let normalizer: (any Normalizer)?
    public let preTokenizer: (any PreTokenizer)?
    public let model: any TokenModel
    public let postProcessor: (any PostProcessor)?
    public let decoder: (any TokenDecoder)?
    /// As the file configures them; callers may change or clear them.
    public var truncation: Truncation?
    public var padding: Padding?
    /// Read special added tokens in the text as plain text (transformers'
    /// split_special_tokens, llama.cpp's parse_special = false).
    public var splitSpecialTokens = false

    public init(
        addedTokens: [AddedToken], normalizer: (any Normalizer)?, preTokenizer: (any PreTokenizer)?,
        model: any TokenModel, postProcessor: (any PostProcessor)?, decoder: (any TokenDecoder)?,
        truncation: Truncation? = nil, padding: Padding? = nil
    ) {
        addedVocabulary = AddedVocabulary(addedTokens, normalizer: normalizer)
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.truncation = truncation
        self.padding = padding
    }

    /// Encodes one text, or a pair, with special tokens unless told otherwise.
    public func encode(_ text: String, pair: String? = nil, addSpecialTokens: Bool = true) -> Encoding {
        var batch = [encodeUnpadded(text, pair: pair, addSpecialTokens: addSpecialTokens)]
        padding?.apply(&batch)
        return batch[0]
    }

    /// Encodes many texts; padding (if configured) makes them the same length.
    public func encodeBatch(_ texts: [(text: String, pair: String?)], addSpecialTokens: Bool = true) -> [Encoding] {
        var batch = texts.map { encodeUnpadded($0.text, pair: $0.pair, addSpecialTokens: addSpecialTokens) }
        padding?.apply(&batch)
        return batch
    }

    private func encodeUnpadded(_ text: String, pair: String?, addSpecialTokens: Bool) -> Encoding {
        var first = Encoding(ids: ids(of: text), typeId: 0)
        var second = pair.map { Encoding(ids: ids(of: $0), typeId: 1) }
        if let truncation {
            let reserved = addSpecialTokens ? postProcessor?.addedTokenCount(isPair: second != nil) ?? 0 : 0
            truncation.apply(&first, &second, reserved: reserved)
        }
        if let postProcessor {
            return postProcessor.process(first, second, addSpecialTokens: addSpecialTokens)
        }
        if let second { first.append(second) }
        return first
    }

    /// The ids of one sequence, before post-processing.
    public func ids(of text: String) -> [Int] {
        var ids: [Int] = []
        var pieces: [Piece] = []
        for segment in addedVocabulary.segments(of: text, normalizer: normalizer, skipSpecial: splitSpecialTokens) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(let piece):
                guard let preTokenizer else {
                    model.tokenize(piece.text, into: &ids)
                    continue
                }
                pieces.removeAll(keepingCapacity: true)
                preTokenizer.split(piece, into: &pieces)
                for word in pieces where !word.text.isEmpty {
                    model.tokenize(word.text, into: &ids)
                }
            }
        }
        return ids
    }

    /// The token string of an id, from the added tokens or the model.
    public func token(of id: Int) -> String? {
        addedVocabulary.token(of: id)?.content ?? model.token(of: id)
    }

    /// The id of a token string, from the added tokens or the model.
    public func id(of token: String) -> Int? {
        addedVocabulary.tokens.first { $0.content == token }?.id ?? model.id(of: token)
    }

    /// Text from ids, through the decoder; special tokens are left out unless asked for.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        let tokens = ids.compactMap { id -> String? in
            if let added = addedVocabulary.token(of: id), added.special, skipSpecialTokens { return nil }
            return token(of: id)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens).joined()
    }
}
