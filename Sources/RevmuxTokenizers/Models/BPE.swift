import RevmuxJSON

/// Byte-pair encoding as `tokenizers` runs it: a word starts as one symbol per character
/// (unknown characters become byte tokens or the unknown token), then the pair of
/// adjacent symbols with the lowest merge rank is merged, leftmost first, until no pair
/// has a merge.
public struct BPE: TokenModel {
    private let vocabulary: VocabularyTable
    private let merges: MergeTable
    private let unknownID: Int32?
    private let prefix: [UInt8]
    private let suffix: [UInt8]
    private let fuseUnknown: Bool
    /// The ids of <0x00>…<0xFF> (-1 where absent) when byte fallback is on.
    private let byteIDs: [Int32]?
    /// A word that is itself a token is that token, without merging.
    private let ignoreMerges: Bool
    /// Ids of the one-character tokens below U+0800, -1 where absent: the usual look-up
    /// when there is no prefix or suffix to add.
    private let smallScalarIDs: [Int32]
    private let cache = WordCache()

    private static let smallScalarLimit: UInt32 = 0x800

    public init(
        vocabulary: [(token: String, id: Int)], merges: [(String, String)], unknownToken: String? = nil,
        continuingSubwordPrefix: String? = nil, endOfWordSuffix: String? = nil, fuseUnknown: Bool = false,
        byteFallback: Bool = false, ignoreMerges: Bool = false
    ) throws(TokenizerError) {
        let lookup = VocabularyTable(vocabulary)
        var smallScalarIDs = [Int32](repeating: -1, count: Int(Self.smallScalarLimit))
        for (token, id) in vocabulary {
            // Symbols are UInt32 with .max for "merged away"; ranks and ids share a UInt64.
            guard let id32 = Int32(exactly: id) else {
                throw .invalid(component: "BPE model", reason: "token id \(id) is out of range")
            }
            // Scalars below U+0800 take one or two UTF-8 bytes.
            if token.utf8.count <= 2, let scalar = token.unicodeScalars.first,
                token.unicodeScalars.count == 1, scalar.value < Self.smallScalarLimit
            {
                smallScalarIDs[Int(scalar.value)] = id32
            }
        }

        // As `tokenizers` forms it: the right token loses the prefix's length in bytes.
        let prefixLength = continuingSubwordPrefix?.utf8.count ?? 0
        var table = MergeTable(capacity: merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            var left = left
            var right = right
            let ids = left.withUTF8 { left in
                right.withUTF8 { right -> (Int, Int, Int?)? in
                    guard let leftID = lookup.id(prefix: nil, left), let rightID = lookup.id(prefix: nil, right) else {
                        return nil
                    }
                    guard right.count >= prefixLength else { return (leftID, rightID, nil) }
                    return (leftID, rightID, lookup.id(prefix: left, UnsafeBufferPointer(rebasing: right[prefixLength...])))
                }
            }
            guard let (leftID, rightID, mergedID) = ids else {
                throw .invalid(component: "BPE model", reason: "merge \"\(left) \(right)\" uses a token not in the vocabulary")
            }
            guard let mergedID else {
                throw .invalid(component: "BPE model", reason: "merge \"\(left) \(right)\" makes a token not in the vocabulary")
            }
            table.insert(left: UInt32(leftID), right: UInt32(rightID), rank: UInt32(rank), merged: UInt32(mergedID))
        }

        var unknownID: Int32?
        if let unknownToken {
            guard let id = lookup.id(of: unknownToken) else {
                throw .invalid(component: "BPE model", reason: "unk_token \"\(unknownToken)\" is not in the vocabulary")
            }
            unknownID = Int32(id)
        }

        self.vocabulary = lookup
        self.merges = table
        self.unknownID = unknownID
        prefix = Array((continuingSubwordPrefix ?? "").utf8)
        suffix = Array((endOfWordSuffix ?? "").utf8)
        self.fuseUnknown = fuseUnknown
        byteIDs = byteFallback ? (0...255).map { lookup.id(of: byteToken($0)).map(Int32.init) ?? -1 } : nil
        self.ignoreMerges = ignoreMerges
        self.smallScalarIDs = smallScalarIDs
    }

    init(json: JSONValue) throws(TokenizerError) {
        if let dropout = json["dropout"], !dropout.isNull, dropout.double != 0 {
            throw .unsupported(component: "BPE option", type: "dropout")
        }
        guard let vocabularyEntries = json["vocab"]?.entries else {
            throw .invalid(component: "BPE model", reason: "vocab must be an object")
        }
        var vocabulary: [(token: String, id: Int)] = []
        vocabulary.reserveCapacity(vocabularyEntries.count)
        for (token, value) in vocabularyEntries {
            guard let id = value.nonNegativeInt else {
                throw .invalid(component: "BPE model", reason: "the id of \"\(token)\" is not a non-negative integer")
            }
            vocabulary.append((token, id))
        }
        try self.init(
            vocabulary: vocabulary, merges: try parseMerges(json["merges"]),
            unknownToken: json["unk_token"]?.string,
            continuingSubwordPrefix: json["continuing_subword_prefix"]?.string,
            endOfWordSuffix: json["end_of_word_suffix"]?.string,
            fuseUnknown: json["fuse_unk"]?.bool ?? false,
            byteFallback: json["byte_fallback"]?.bool ?? false,
            ignoreMerges: json["ignore_merges"]?.bool ?? false)
    }

    public var vocabularySize: Int { vocabulary.count }

    public func id(of token: String) -> Int? {
        vocabulary.id(of: token)
    }

    public func token(of id: Int) -> String? {
        vocabulary.token(of: id)
    }

    public func tokenize(_ word: Substring, into ids: inout [Int]) {
        guard !word.isEmpty else { return }
        var word = word
        word.withUTF8 { bytes in
            // The cache holds finished results, so it may be asked before the vocabulary.
            let cacheable = bytes.count < WordCache.maxWordLength
            let hash = cacheable ? tokenHash(bytes) : 0
            if cacheable, cache.lookup(bytes, hash: hash, into: &ids) { return }
            let start = ids.count
            if ignoreMerges, let id = vocabulary.id(prefix: nil, bytes) {
                ids.append(id)
            } else {
                merge(bytes, into: &ids)
            }
            if cacheable { cache.store(bytes, hash: hash, ids: ids[start...]) }
        }
    }

    /// The word's first symbols: the id of each character (with the prefix on all but the
    /// first and the suffix on the last), its byte tokens, or the unknown token.
    private func symbols(of word: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var symbols: [UInt32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false
        var spelled: [UInt8] = []
        var index = 0
        while index < word.count {
            let lead = word[index]
            let length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
            let next = index + length
            let decorated = (index > 0 && !prefix.isEmpty) || (next == word.count && !suffix.isEmpty)
            let id: Int?
            if !decorated {
                let scalar = length == 1 ? UInt32(lead) : length == 2 ? UInt32(lead & 0x1F) << 6 | UInt32(word[index + 1] & 0x3F) : .max
                id = scalar < Self.smallScalarLimit
                    ? (smallScalarIDs[Int(scalar)] >= 0 ? Int(smallScalarIDs[Int(scalar)]) : nil)
                    : vocabulary.id(prefix: nil, UnsafeBufferPointer(rebasing: word[index..<next]))
            } else {
                spelled.removeAll(keepingCapacity: true)
                if index > 0 { spelled += prefix }
                spelled += word[index..<next]
                if next == word.count { spelled += suffix }
                id = spelled.withUnsafeBufferPointer { vocabulary.id(prefix: nil, $0) }
            }
            defer { index = next }
            if let id {
                if pendingUnknown, let unknownID {
                    symbols.append(UInt32(unknownID))
                    pendingUnknown = false
                }
                symbols.append(UInt32(id))
                continue
            }
            if let byteIDs {
                if !decorated {
                    spelled.removeAll(keepingCapacity: true)
                    spelled += word[index..<next]
                }
                // `tokenizers` leaves a pending unknown token where it is, after these.
                if spelled.allSatisfy({ byteIDs[Int($0)] >= 0 }) {
                    for byte in spelled { symbols.append(UInt32(byteIDs[Int(byte)])) }
                    continue
                }
            }
            guard let unknownID else { continue }
            if pendingUnknown && !fuseUnknown { symbols.append(UInt32(unknownID)) }
            pendingUnknown = true
        }
        if pendingUnknown, let unknownID { symbols.append(UInt32(unknownID)) }
        return symbols
    }

    /// Tokenizes `word` and appends its ids.
    private func merge(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) {
        var symbols = symbols(of: word)
        let count = symbols.count
        guard count > 1, !merges.isEmpty else {
            for symbol in symbols { ids.append(Int(symbol)) }
            return
        }
        if count <= Self.scanLimit {
            mergeByScanning(&symbols)
            for symbol in symbols { ids.append(Int(symbol)) }
            return
        }
        let rankBits: UInt64 = 0xFFFF_FFFF_0000_0000
        symbols.withUnsafeMutableBufferPointer { symbols in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: 2 * count) { links in
                // A doubly linked list over the symbols; a merged-away symbol becomes .max.
                let previous = links.baseAddress!
                let next = previous + count
                for index in 0..<count {
                    previous[index] = Int32(index - 1)
                    next[index] = index + 1 < count ? Int32(index + 1) : -1
                }
                // Entries are rank << 32 | position, so the smallest is the lowest rank, then
                // the leftmost. count - 1 to start, and at most two more per merge.
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * count) { storage in
                    var heap = MinHeap(storage: storage)
                    for index in 0..<count - 1 {
                        if let merge = merges.merge(symbols[index], symbols[index + 1]) {
                            heap.push(merge & rankBits | UInt64(index))
                        }
                    }
                    while let top = heap.pop() {
                        let position = Int(top & 0xFFFF_FFFF)
                        let right = Int(next[position])
                        // Skip entries made stale by earlier merges.
                        guard right >= 0, let merge = merges.merge(symbols[position], symbols[right]),
                            merge & rankBits == top & rankBits
                        else { continue }
                        symbols[position] = UInt32(truncatingIfNeeded: merge)
                        symbols[right] = .max
                        let after = next[right]
                        next[position] = after
                        if after >= 0 { previous[Int(after)] = Int32(position) }
                        let before = previous[position]
                        if before >= 0, let merge = merges.merge(symbols[Int(before)], symbols[position]) {
                            heap.push(merge & rankBits | UInt64(before))
                        }
                        if after >= 0, let merge = merges.merge(symbols[position], symbols[Int(after)]) {
                            heap.push(merge & rankBits | UInt64(position))
                        }
                    }
                }
                var position = 0
                while position >= 0 {
                    ids.append(Int(symbols[position]))
                    position = Int(next[position])
                }
            }
        }
    }
}

extension BPE {
    /// Up to this many symbols, finding the best pair by scanning beats a heap.
    private static let scanLimit = 48

    /// The same merges as the heap in `merge`, for short words: apply the lowest-rank
    /// pair, leftmost first, until none has a merge.
    private func mergeByScanning(_ symbols: inout [UInt32]) {
        var count = symbols.count
        symbols.withUnsafeMutableBufferPointer { symbols in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { pairs in
                // pairs[i]: rank << 32 | merged id for symbols i and i + 1, or .max. Equal
                // ranks mean equal pairs, so comparing whole values compares ranks.
                for index in 0..<count - 1 {
                    pairs[index] = merges.merge(symbols[index], symbols[index + 1]) ?? .max
                }
                while count > 1 {
                    var best = 0
                    for index in 1..<count - 1 where pairs[index] < pairs[best] { best = index }
                    let merge = pairs[best]
                    guard merge != .max else { break }
                    symbols[best] = UInt32(truncatingIfNeeded: merge)
                    for index in best + 1..<count - 1 {
                        symbols[index] = symbols[index + 1]
                        pairs[index] = pairs[index + 1]
                    }
                    count -= 1
                    if best > 0 { pairs[best - 1] = merges.merge(symbols[best - 1], symbols[best]) ?? .max }
                    if best < count - 1 { pairs[best] = merges.merge(symbols[best], symbols[best + 1]) ?? .max }
                }
            }
        }
        symbols.removeLast(symbols.count - count)
    }
}

/// A binary min-heap in caller-provided storage.
private struct MinHeap {
    let storage: UnsafeMutableBufferPointer<UInt64>
    var count = 0

    init(storage: UnsafeMutableBufferPointer<UInt64>) {
        self.storage = storage
    }

    mutating func push(_ value: UInt64) {
        var index = count
        count += 1
        while index > 0 {
            let parent = (index - 1) / 2
            guard storage[parent] > value else { break }
            storage[index] = storage[parent]
            index = parent
        }
        storage[index] = value
    }

    mutating func pop() -> UInt64? {
        guard count > 0 else { return nil }
        let top = storage[0]
        count -= 1
        let last = storage[count]
        var index = 0
        while true {
            var child = 2 * index + 1
            guard child < count else { break }
            if child + 1 < count, storage[child + 1] < storage[child] { child += 1 }
            guard storage[child] < last else { break }
            storage[index] = storage[child]
            index = child
        }
        storage[index] = last
        return top
    }
}

/// `tokenizers`' name for a byte's fallback token: <0x0A>.
private func byteToken(_ byte: Int) -> String {
    let digits = Array("0123456789ABCDEF")
    return "<0x\(digits[byte >> 4])\(digits[byte & 15])>"
}

/// Merges as [left, right] pairs, or the older "left right" strings.
private func parseMerges(_ json: JSONValue?) throws(TokenizerError) -> [(String, String)] {
    guard let elements = json?.array else {
        throw .invalid(component: "BPE model", reason: "merges must be an array")
    }
    var merges: [(String, String)] = []
    merges.reserveCapacity(elements.count)
    let legacy = elements.first?.string != nil
    for element in elements {
        if legacy {
            guard let line = element.string else {
                throw .invalid(component: "BPE model", reason: "merges mix strings and pairs")
            }
            if line.hasPrefix("#version") { continue }
            // Split on the byte: a space followed by a combining mark is one Character.
            let utf8 = line.utf8
            guard let space = utf8.firstIndex(of: 0x20), !utf8[utf8.index(after: space)...].contains(0x20) else {
                throw .invalid(component: "BPE model", reason: "merge \"\(line)\" is not two tokens separated by a space")
            }
            merges.append((String(line[..<space]), String(line[utf8.index(after: space)...])))
        } else {
            guard let pair = element.array, pair.count == 2, let left = pair[0].string, let right = pair[1].string else {
                throw .invalid(component: "BPE model", reason: "a merge must be a pair of strings")
            }
            merges.append((left, right))
        }
    }
    return merges
}
