import RevmuxJSON

/// SentencePiece's unigram model as `tokenizers` runs it: the best-scoring segmentation of each
/// word (Viterbi over every vocabulary piece that matches at every character), where a
/// character no piece covers becomes <unk> at `min score - 10`, runs of <unk> fuse into one
/// token, and with byte fallback an unknown run becomes its UTF-8 bytes as <0xXX> pieces.
public struct Unigram: TokenModel {
    /// The vocabulary by id, with each piece's score (a log probability).
    public let pieces: [String]
    public let scores: [Double]
    public let unknownId: Int
    public let byteFallback: Bool
    private let trie: DoubleArrayTrie
    private let unknownScore: Double
    /// The ids of <0x00> ... <0xFF>, -1 where the vocabulary lacks one.
    private let byteIds: [Int32]

    /// `tokenizers`' penalty below the lowest piece score for an unknown character.
    static let unknownPenalty = 10.0

    /// A piece that appears twice keeps the later id, as `tokenizers` does.
    public init(vocab: [(piece: String, score: Double)], unknownId: Int, byteFallback: Bool = false) throws(TokenizerError) {
        guard unknownId < vocab.count else {
            throw .invalid(component: "Unigram model", reason: "unk_id \(unknownId) is outside the vocabulary of \(vocab.count)")
        }
        var ids: [[UInt8]: Int32] = [:]
        for (id, entry) in vocab.enumerated() { ids[Array(entry.piece.utf8)] = Int32(id) }
        let trie = DoubleArrayTrie(keys: ids.map { ($0.key, $0.value) })
        self.trie = trie
        pieces = vocab.map(\.piece)
        scores = vocab.map(\.score)
        self.unknownId = unknownId
        self.byteFallback = byteFallback
        unknownScore = (scores.min() ?? 0) - Self.unknownPenalty
        byteIds = (0..<256).map { byte in trie.value(of: "<0x\(hex(UInt8(byte)))>".utf8) ?? -1 }
    }

    public init(json: JSONValue) throws(TokenizerError) {
        guard let entries = json["vocab"]?.array else {
            throw .invalid(component: "Unigram model", reason: "needs a \"vocab\" array of [piece, score]")
        }
        var vocab: [(piece: String, score: Double)] = []
        vocab.reserveCapacity(entries.count)
        for entry in entries {
            guard let pair = entry.array, pair.count == 2, let piece = pair[0].string, let literal = pair[1].numberText else {
                throw .invalid(component: "Unigram model", reason: "vocab entry \(vocab.count) is not [piece, score]")
            }
            // Read as `tokenizers` reads it, so that scores, and so ties, are bit for bit its own.
            guard let score = SerdeJSONFloat.parse(literal) else {
                throw .invalid(component: "Unigram model", reason: "score \(literal) of \"\(piece)\" is out of range")
            }
            vocab.append((piece, score))
        }
        guard let unknown = json["unk_id"], !unknown.isNull else {
            // Without one, `tokenizers` fails on any text holding a character no piece covers.
            throw .unsupported(component: "Unigram model", type: "unk_id null")
        }
        guard let unknownId = unknown.nonNegativeInt else {
            throw .invalid(component: "Unigram model", reason: "unk_id must be a non-negative integer")
        }
        var byteFallback = false
        if let field = json["byte_fallback"], !field.isNull {
            guard let value = field.bool else {
                throw .invalid(component: "Unigram model", reason: "byte_fallback must be a boolean")
            }
            byteFallback = value
        }
        try self.init(vocab: vocab, unknownId: unknownId, byteFallback: byteFallback)
    }

    public var vocabularySize: Int { pieces.count }

    public func id(of token: String) -> Int? {
        trie.value(of: token.utf8).map(Int.init)
    }

    public func token(of id: Int) -> String? {
        pieces.indices.contains(id) ? pieces[id] : nil
    }

    public func tokenize(_ word: Substring, into ids: inout [Int]) {
        var word = word
        word.withUTF8 { bytes in
            guard !bytes.isEmpty else { return }
            withUnsafeTemporaryAllocation(of: Node.self, capacity: bytes.count + 1) { lattice in
                let lattice = lattice.baseAddress!
                lattice.initialize(repeating: Node(score: 0, start: -1, id: -1), count: bytes.count + 1)
                defer { lattice.deinitialize(count: bytes.count + 1) }
                bestPaths(bytes, lattice)
                emit(bytes, lattice, into: &ids)
            }
        }
    }

    /// The best path ending at a byte offset: its score, where its last token starts and which it is.
    private struct Node {
        var score: Double
        var start: Int32
        var id: Int32
    }

    /// Fills `lattice[end]` for every character boundary, left to right. A node keeps the first
    /// path that reached it unless a later one scores strictly higher, the tie-break of
    /// `tokenizers` (SentencePiece's own can differ: see the fixture's disagreements).
    private func bestPaths(_ bytes: UnsafeBufferPointer<UInt8>, _ lattice: UnsafeMutablePointer<Node>) {
        scores.withUnsafeBufferPointer { scores in
            var start = 0
            while start < bytes.count {
                let scoreHere = lattice[start].score
                let characterEnd = start + utf8Length(bytes[start])
                var coversCharacter = false
                trie.forEachPrefix(of: bytes, from: start) { end, id in
                    let candidate = scores[Int(id)] + scoreHere
                    if lattice[end].start < 0 || candidate > lattice[end].score {
                        lattice[end] = Node(score: candidate, start: Int32(start), id: id)
                    }
                    if end == characterEnd { coversCharacter = true }
                }
                if !coversCharacter {
                    let candidate = unknownScore + scoreHere
                    if lattice[characterEnd].start < 0 || candidate > lattice[characterEnd].score {
                        lattice[characterEnd] = Node(score: candidate, start: Int32(start), id: Int32(unknownId))
                    }
                }
                start = characterEnd
            }
        }
    }

    /// Walks the best path back from the end and appends its ids in order, fusing <unk> runs.
    private func emit(_ bytes: UnsafeBufferPointer<UInt8>, _ lattice: UnsafeMutablePointer<Node>, into ids: inout [Int]) {
        let first = ids.count
        var end = bytes.count
        var unknownEnd = -1  // end of the <unk> run being fused, or -1
        while end > 0 {
            let node = lattice[end]
            let start = Int(node.start)
            if Int(node.id) == unknownId {
                if unknownEnd < 0 { unknownEnd = end }
            } else {
                if unknownEnd >= 0 {
                    appendReversed(unknown: UnsafeBufferPointer(rebasing: bytes[end..<unknownEnd]), to: &ids)
                    unknownEnd = -1
                }
                ids.append(Int(node.id))
            }
            end = start
        }
        if unknownEnd >= 0 { appendReversed(unknown: UnsafeBufferPointer(rebasing: bytes[0..<unknownEnd]), to: &ids) }
        ids[first...].reverse()
    }

    /// The ids of a fused <unk> run, reversed like the rest of the backward walk: the run's own
    /// id if it happens to be a piece, else its bytes when every byte has a piece, else <unk>.
    private func appendReversed(unknown run: UnsafeBufferPointer<UInt8>, to ids: inout [Int]) {
        if let id = trie.value(of: run) {
            ids.append(Int(id))
        } else if byteFallback, run.allSatisfy({ byteIds[Int($0)] >= 0 }) {
            for byte in run.reversed() { ids.append(Int(byteIds[Int(byte)])) }
        } else {
            ids.append(unknownId)
        }
    }
}

/// The length of the UTF-8 sequence a lead byte starts.
@inline(__always)
private func utf8Length(_ lead: UInt8) -> Int {
    lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
}

private func hex(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}
