import RevmuxJSON

/// A token → id table keyed by UTF-8 bytes.
///
/// Swift's String equality is canonical equivalence ("é" precomposed equals "e" + U+0301),
/// but `tokenizers` compares bytes, and a vocabulary may hold both spellings. Lookups take
/// bytes in place, optionally behind a prefix (WordPiece's "##"), without allocating.
struct VocabularyTable: Sendable {
    /// Every token's bytes, back to back.
    private let bytes: [UInt8]
    private let starts: [Int]
    private let ids: [Int]
    /// Open addressing: an index into `ids` + 1, or 0 for an empty slot.
    private let slots: [Int32]
    private let mask: Int
    /// The longest token, in bytes: longer candidates need no lookup.
    let longestToken: Int
    private let tokensByID: [Int: String]

    var count: Int { ids.count }

    /// From a tokenizer.json `vocab` object (token → id).
    init(json: JSONValue?, component: String) throws(TokenizerError) {
        guard let entries = json?.entries else { throw .invalid(component: component, reason: "needs a vocab object") }
        var pairs: [(String, Int)] = []
        pairs.reserveCapacity(entries.count)
        for (token, value) in entries {
            guard let id = value.nonNegativeInt else {
                throw .invalid(component: component, reason: "the id of \"\(token)\" is not a non-negative integer")
            }
            pairs.append((token, id))
        }
        self.init(pairs)
    }

    init(_ pairs: [(token: String, id: Int)]) {
        var bytes: [UInt8] = []
        var starts: [Int] = [0]
        var ids: [Int] = []
        var tokensByID: [Int: String] = [:]
        var longest = 0
        for (token, id) in pairs {
            bytes += token.utf8
            starts.append(bytes.count)
            ids.append(id)
            tokensByID[id] = token
            longest = max(longest, token.utf8.count)
        }
        var capacity = 16
        while capacity < pairs.count * 2 { capacity *= 2 }
        var slots = [Int32](repeating: 0, count: capacity)
        for entry in ids.indices {
            var slot = bytes[starts[entry]..<starts[entry + 1]].withContiguousStorageIfAvailable {
                Self.hash(prefix: nil, $0)
            }! & (capacity - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = Int32(entry + 1)
        }
        self.bytes = bytes
        self.starts = starts
        self.ids = ids
        self.slots = slots
        mask = capacity - 1
        longestToken = longest
        self.tokensByID = tokensByID
    }

    func id(of token: String) -> Int? {
        var token = token
        return token.withUTF8 { id(prefix: nil, $0) }
    }

    func token(of id: Int) -> String? {
        tokensByID[id]
    }

    /// The id of `prefix` followed by `text`.
    func id(prefix: UnsafeBufferPointer<UInt8>?, _ text: UnsafeBufferPointer<UInt8>) -> Int? {
        let length = (prefix?.count ?? 0) + text.count
        guard length <= longestToken else { return nil }
        var slot = Self.hash(prefix: prefix, text) & mask
        while slots[slot] != 0 {
            let entry = Int(slots[slot]) - 1
            let start = starts[entry]
            if starts[entry + 1] - start == length, matches(at: start, prefix: prefix, text) { return ids[entry] }
            slot = (slot + 1) & mask
        }
        return nil
    }

    private func matches(at start: Int, prefix: UnsafeBufferPointer<UInt8>?, _ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var position = start
        if let prefix {
            for byte in prefix {
                guard bytes[position] == byte else { return false }
                position += 1
            }
        }
        for byte in text {
            guard bytes[position] == byte else { return false }
            position += 1
        }
        return true
    }

    /// FNV-1a over the prefix and then the text, as if they were one string.
    private static func hash(prefix: UnsafeBufferPointer<UInt8>?, _ text: UnsafeBufferPointer<UInt8>) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        if let prefix {
            for byte in prefix { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
        for byte in text { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(truncatingIfNeeded: hash ^ (hash >> 32))
    }
}
