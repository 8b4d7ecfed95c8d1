/// llama.cpp's BPE (`llm_tokenizer_bpe_session`) over the words its pre-tokenizer made: the
/// adjacent pair of lowest merge rank is merged, the leftmost on ties, as in `BPE`. Gemma 4
/// spells a symbol that is no token with <0xXX> byte tokens, and takes a word of newlines
/// that is itself a token whole.
///
/// llama.cpp also merges pairs whose parts or result are not in the vocabulary and spells
/// what is left with bytes; no converter writes such merges, and `BPE` refuses them.
struct LlamaBPE: TokenModel {
    private let bpe: BPE
    private let newlineRunsWhole: Bool

    init(_ vocabulary: GGUFVocabulary) throws(TokenizerError) {
        // llama.cpp splits a merge at its first space after the first character.
        let merges = vocabulary.merges.compactMap { merge -> (String, String)? in
            let utf8 = merge.utf8
            guard !utf8.isEmpty, let space = utf8.dropFirst().firstIndex(of: 0x20) else { return nil }
            return (String(merge[..<space]), String(merge[merge.utf8.index(after: space)...]))
        }
        bpe = try BPE(
            vocabulary: vocabulary.tokens.enumerated().map { ($1, $0) }, merges: merges,
            byteFallback: vocabulary.escapeWhitespaces, ignoreMerges: vocabulary.ignoreMerges)
        newlineRunsWhole = LlamaPreTokenizer.isGemma4(vocabulary.pre)
    }

    var vocabularySize: Int { bpe.vocabularySize }

    func id(of token: String) -> Int? {
        bpe.id(of: token)
    }

    func token(of id: Int) -> String? {
        bpe.token(of: id)
    }

    func tokenize(_ word: Substring, into ids: inout [Int]) {
        if newlineRunsWhole, word.utf8.allSatisfy({ $0 == 0x0A }), let id = bpe.id(of: String(word)) {
            ids.append(id)
        } else {
            bpe.tokenize(word, into: &ids)
        }
    }
}
