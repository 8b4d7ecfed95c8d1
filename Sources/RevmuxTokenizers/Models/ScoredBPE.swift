/// SentencePiece's BPE as llama.cpp runs it (`llm_tokenizer_spm`): the text starts as one
/// symbol per UTF-8 character, and the adjacent pair whose concatenation is the vocabulary
/// token of highest score is merged, the leftmost pair on ties, until no adjacent pair
/// forms a token. A symbol left over that is no token is spelled with the <0xXX> tokens of
/// its bytes.
public struct ScoredBPE: TokenModel {
    private let vocabulary: VocabularyTable
    private let tokens: [String]
    private let scores: [Float]
    /// The token of each byte: <0xXX>, else the byte itself as a one-character token;
    /// -1 when the vocabulary has neither.
    private let byteIDs: [Int]
    /// Stands in for a byte with no token (llama.cpp fails there).
    private let unknownID: Int?

    /// `scores[id]` ranks `tokens[id]`; tokens must be distinct.
    public init(tokens: [String], scores: [Float], unknownID: Int?) throws(TokenizerError) {
        guard scores.count >= tokens.count else {
            throw .invalid(component: "ScoredBPE model", reason: "has \(scores.count) scores for \(tokens.count) tokens")
        }
        let vocabulary = VocabularyTable(tokens.enumerated().map { ($1, $0) })
        self.vocabulary = vocabulary
        self.tokens = tokens
        self.scores = scores
        byteIDs = (0..<256).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return vocabulary.id(of: "<0x\(hex.count == 1 ? "0" + hex : hex)>")
                ?? (byte < 0x80 ? vocabulary.id(of: String(UnicodeScalar(UInt8(byte)))) : nil) ?? -1
        }
        self.unknownID = unknownID
    }

    public var vocabularySize: Int { tokens.count }

    public func id(of token: String) -> Int? {
        vocabulary.id(of: token)
    }

    public func token(of id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    public func tokenize(_ word: Substring, into ids: inout [Int]) {
        var word = word
        word.withUTF8 { bytes in
            guard !bytes.isEmpty else { return }
            var symbols = Self.characters(of: bytes)
            merge(&symbols, bytes)
            var index = 0
            while index >= 0 {
                let symbol = symbols[index]
                let text = UnsafeBufferPointer(rebasing: bytes[Int(symbol.start)..<Int(symbol.start + symbol.length)])
                if let id = vocabulary.id(prefix: nil, text) {
                    ids.append(id)
                } else {
                    for byte in text {
                        let id = byteIDs[Int(byte)]
                        if id >= 0 {
                            ids.append(id)
                        } else if let unknownID {
                            ids.append(unknownID)
                        }
                    }
                }
                index = Int(symbol.next)
            }
        }
    }

    private struct Symbol {
        var start: Int32
        var length: Int32
        var previous: Int32
        var next: Int32
    }

    fileprivate struct Bigram {
        var score: Float
        var left: Int32
        var right: Int32
        /// The pair's length when it was queued: a merge on either side since makes it stale.
        var size: Int32

        /// Higher scores first, then the leftmost.
        func precedes(_ other: Bigram) -> Bool {
            score > other.score || (score == other.score && left < other.left)
        }
    }

    private static func characters(of bytes: UnsafeBufferPointer<UInt8>) -> [Symbol] {
        var symbols: [Symbol] = []
        symbols.reserveCapacity(bytes.count)
        var offset = 0
        while offset < bytes.count {
            let length = min(LlamaUnicode.sequenceLength(bytes[offset]), bytes.count - offset)
            let index = Int32(symbols.count)
            offset += length
            symbols.append(Symbol(start: Int32(offset - length), length: Int32(length), previous: index - 1,
                                  next: offset == bytes.count ? -1 : index + 1))
        }
        return symbols
    }

    private func merge(_ symbols: inout [Symbol], _ bytes: UnsafeBufferPointer<UInt8>) {
        var queue = BigramHeap()
        func enqueue(_ left: Int32, _ right: Int32) {
            guard left >= 0, right >= 0 else { return }
            let start = Int(symbols[Int(left)].start)
            let size = symbols[Int(left)].length + symbols[Int(right)].length
            guard let id = vocabulary.id(prefix: nil, UnsafeBufferPointer(rebasing: bytes[start..<start + Int(size)])) else {
                return
            }
            queue.push(Bigram(score: scores[id], left: left, right: right, size: size))
        }
        for right in symbols.indices.dropFirst() {
            enqueue(Int32(right - 1), Int32(right))
        }
        while let bigram = queue.pop() {
            let left = Int(bigram.left)
            let right = Int(bigram.right)
            guard symbols[left].length > 0, symbols[right].length > 0,
                  symbols[left].length + symbols[right].length == bigram.size
            else { continue }
            symbols[left].length += symbols[right].length
            symbols[right].length = 0
            symbols[left].next = symbols[right].next
            if symbols[right].next >= 0 { symbols[Int(symbols[right].next)].previous = bigram.left }
            enqueue(symbols[left].previous, bigram.left)
            enqueue(bigram.left, symbols[left].next)
        }
    }
}

/// A binary heap of bigrams whose top precedes all others.
private struct BigramHeap {
    private var elements: [ScoredBPE.Bigram] = []

    mutating func push(_ element: ScoredBPE.Bigram) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child].precedes(elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> ScoredBPE.Bigram? {
        guard let top = elements.first else { return nil }
        let last = elements.removeLast()
        if !elements.isEmpty {
            elements[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < elements.count else { break }
                let right = left + 1
                let child = right < elements.count && elements[right].precedes(elements[left]) ? right : left
                guard elements[child].precedes(elements[parent]) else { break }
                elements.swapAt(child, parent)
                parent = child
            }
        }
        return top
    }
}
