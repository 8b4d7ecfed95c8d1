import RevmuxFormats

extension Tokenizer {
    /// Builds the tokenizer a GGUF file's `tokenizer.ggml.*` metadata describes, giving the
    /// ids llama.cpp gives (`llama_tokenize`).
    ///
    /// Control, unknown and user-defined tokens are added tokens matched in the text first;
    /// control and unknown ones are special (`splitSpecialTokens` makes them plain text, as
    /// llama.cpp's parse_special = false does). Adding special tokens is llama.cpp's
    /// add_special: BOS/EOS as the file's flags say, [CLS] ... [SEP] for BERT vocabularies.
    public init(gguf layout: GGUFLayout) throws(TokenizerError) {
        let vocabulary = try GGUFVocabulary(layout)
        let addedTokens = vocabulary.tokens.indices.compactMap { id -> AddedToken? in
            let attributes = vocabulary.attributes[id]
            guard !attributes.isDisjoint(with: .matchedInText) else { return nil }
            return AddedToken(
                id: id, content: vocabulary.tokens[id], special: !attributes.isDisjoint(with: .special),
                lstrip: attributes.contains(.lstrip), rstrip: attributes.contains(.rstrip), normalized: false)
        }
        let normalizer: (any Normalizer)?
        let preTokenizer: (any PreTokenizer)?
        let model: any TokenModel
        switch vocabulary.kind {
        case .sentencePiece:
            normalizer = nil
            preTokenizer = SentencePieceEscape(addSpacePrefix: vocabulary.addSpacePrefix)
            model = try ScoredBPE(tokens: vocabulary.tokens, scores: vocabulary.scores, unknownID: vocabulary.unknown)
        case .bytePair:
            normalizer = nil
            preTokenizer = try LlamaPreTokenizer(pre: vocabulary.pre, escapeWhitespaces: vocabulary.escapeWhitespaces)
            model = try LlamaBPE(vocabulary)
        case .wordPiece:
            normalizer = nil
            preTokenizer = LlamaWordSplitter(lowercase: vocabulary.lowercase, stripAccents: vocabulary.stripAccents)
            model = LlamaWordPiece(tokens: vocabulary.tokens, unknownID: vocabulary.unknown)
        case .unigram:
            normalizer = try LlamaUnigramNormalizer(
                charsMap: vocabulary.precompiledCharsMap, escapeWhitespaces: vocabulary.escapeWhitespaces,
                addSpacePrefix: vocabulary.addSpacePrefix, removeExtraWhitespaces: vocabulary.removeExtraWhitespaces)
            preTokenizer = nil
            model = LlamaUnigram(tokens: vocabulary.tokens, scores: vocabulary.scores, attributes: vocabulary.attributes,
                                 unknownID: vocabulary.unknown)
        }
        self.init(
            addedTokens: addedTokens, normalizer: normalizer, preTokenizer: preTokenizer, model: model,
            postProcessor: LlamaSpecialTokens(
                bos: vocabulary.bos, eos: vocabulary.eos, separator: vocabulary.separator, addBOS: vocabulary.addBOS,
                addEOS: vocabulary.addEOS, addSeparator: vocabulary.addSeparator, bertStyle: vocabulary.kind == .wordPiece),
            decoder: LlamaDecoder(vocabulary, model: model))
    }
}
