/// llama.cpp's Unigram tokenizer (`llm_tokenizer_ugm`): the best-scoring segmentation of
/// the normalized text into vocabulary tokens (Viterbi over a lattice, scores summed in
/// double precision). Normal, user-defined and unused tokens take part; a user-defined token
/// scores 0; a character no token covers is the unknown token, scored 10 below the lowest
/// normal token, and a run of unknown tokens is one.
struct LlamaUnigram: TokenModel {
    private let tokens: [String]
    private let scores: [Double]
    private let trie: DoubleArrayTrie
    private let vocabulary: VocabularyTable
    private let unknownID: Int?
    private let unknownScore: Double

    init(tokens: [String], scores: [Float], attributes: [GGUFVocabulary.Attributes], unknownID: Int?) {
        var keys: [(bytes: [UInt8], value: Int32)] = []
        var lowest = Float.greatestFiniteMagnitude
        var tokenScores = [Double](repeating: 0, count: tokens.count)
        for (id, token) in tokens.enumerated() {
            let attributes = attributes[id]
            if attributes.contains(.normal) { lowest = min(lowest, scores[id]) }
            if !attributes.isDisjoint(with: [.normal, .userDefined, .unused]) {
                keys.append((Array(token.utf8), Int32(id)))
            }
            // User-defined tokens outscore every normal one, whose scores are log probabilities.
            tokenScores[id] = attributes.contains(.userDefined) ? 0 : Double(scores[id])
        }
        self.tokens = tokens
        self.scores = tokenScores
        trie = DoubleArrayTrie(keys: keys)
        vocabulary = VocabularyTable(tokens.enumerated().map { ($1, $0) })
        self.unknownID = unknownID
        unknownScore = Double(lowest - 10)
    }

    var vocabularySize: Int { tokens.count }

    func id(of token: String) -> Int? {
        vocabulary.id(of: token)
    }

    func token(of id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    private struct Best {
        var id: Int32
        var start: Int32
        var score: Double
    }

    func tokenize(_ word: Substring, into ids: inout [Int]) {
        var word = word
        word.withUTF8 { bytes in
            guard !bytes.isEmpty else { return }
            let unknown = Int32(unknownID ?? -1)
            var best = [Best](repeating: Best(id: unknown, start: 0, score: -.greatestFiniteMagnitude), count: bytes.count + 1)
            best[0].score = 0
            var start = 0
            while start < bytes.count {
                let characterEnd = start + min(LlamaUnicode.sequenceLength(bytes[start]), bytes.count - start)
                let base = best[start].score
                var coversCharacter = false
                trie.forEachPrefix(of: bytes, from: start) { end, id in
                    if end == characterEnd { coversCharacter = true }
                    let score = base + scores[Int(id)]
                    if score > best[end].score { best[end] = Best(id: id, start: Int32(start), score: score) }
                }
                if !coversCharacter, base + unknownScore > best[characterEnd].score {
                    best[characterEnd] = Best(id: unknown, start: Int32(start), score: base + unknownScore)
                }
                start = characterEnd
            }
            let first = ids.count
            var end = bytes.count
            var previousUnknown = false
            while end > 0 {
                let node = best[end]
                let isUnknown = node.id == unknown
                if !(previousUnknown && isUnknown), node.id >= 0 { ids.append(Int(node.id)) }
                previousUnknown = isUnknown
                end = Int(node.start)
            }
            ids[first...].reverse()
        }
    }
}
