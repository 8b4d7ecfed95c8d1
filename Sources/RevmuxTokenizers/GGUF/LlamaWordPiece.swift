/// llama.cpp's WordPiece (`llm_tokenizer_wpm`), over GGUF's BERT vocabularies where a token
/// that starts a word carries a "▁" prefix and a continuation carries none (in place of
/// "##"): the word, prefixed with "▁", is covered greedily by the longest token at each
/// position; a word that cannot be covered is the unknown token. Unlike Hugging Face's
/// WordPiece there is no limit on the length of a word.
struct LlamaWordPiece: TokenModel {
    private let vocabulary: VocabularyTable
    private let tokens: [String]
    private let unknownID: Int?

    init(tokens: [String], unknownID: Int?) {
        vocabulary = VocabularyTable(tokens.enumerated().map { ($1, $0) })
        self.tokens = tokens
        self.unknownID = unknownID
    }

    var vocabularySize: Int { tokens.count }

    func id(of token: String) -> Int? {
        vocabulary.id(of: token)
    }

    func token(of id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    func tokenize(_ word: Substring, into ids: inout [Int]) {
        let bytes = Array("▁".utf8) + word.utf8
        let first = ids.count
        bytes.withUnsafeBufferPointer { bytes in
            var start = 0
            while start < bytes.count {
                // The vocabulary refuses candidates longer than its longest token.
                var end = bytes.count
                while end > start {
                    if let id = vocabulary.id(prefix: nil, UnsafeBufferPointer(rebasing: bytes[start..<end])) {
                        ids.append(id)
                        break
                    }
                    end -= 1
                }
                guard end > start else {
                    ids.removeSubrange(first...)
                    return
                }
                start = end
            }
        }
        if ids.count == first, let unknownID { ids.append(unknownID) }
    }
}
