#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Synchronization

/// A fast, non-cryptographic hash of a byte string, 8 bytes at a time.
@inline(__always)
func tokenHash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
    var index = 0
    let raw = UnsafeRawBufferPointer(bytes)
    while index + 8 <= bytes.count {
        hash = (hash ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 29
        index += 8
    }
    if index < bytes.count {
        var tail: UInt64 = 0
        for offset in index..<bytes.count { tail |= UInt64(bytes[offset]) << (8 * (offset - index)) }
        hash = (hash ^ tail) &* 0xBF58_476D_1CE4_E5B9
    }
    hash ^= hash >> 32
    hash &*= 0x94D0_49BB_1331_11EB
    return hash ^ (hash >> 29)
}

/// BPE merges: a pair of token ids → the merge's rank (its line in the merges list) and
/// the id of the merged token.
struct MergeTable: Sendable {
    /// left << 32 | right, or `empty`.
    private var keys: [UInt64]
    /// rank << 32 | merged id.
    private var values: [UInt64]
    private let shift: UInt64
    private(set) var isEmpty = true
    private static let empty = UInt64.max

    init(capacity: Int) {
        var bits: UInt64 = 4
        while (1 << bits) < capacity * 2 { bits += 1 }
        keys = Array(repeating: Self.empty, count: 1 << bits)
        values = Array(repeating: 0, count: 1 << bits)
        shift = 64 - bits
    }

    /// Adds a merge; a pair listed twice keeps its later rank, as in `tokenizers`.
    mutating func insert(left: UInt32, right: UInt32, rank: UInt32, merged: UInt32) {
        let key = UInt64(left) << 32 | UInt64(right)
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while keys[slot] != Self.empty, keys[slot] != key { slot = (slot + 1) & (keys.count - 1) }
        keys[slot] = key
        values[slot] = UInt64(rank) << 32 | UInt64(merged)
        isEmpty = false
    }

    /// rank << 32 | merged id, for comparing ranks as integers.
    @inline(__always)
    func merge(_ left: UInt32, _ right: UInt32) -> UInt64? {
        let key = UInt64(left) << 32 | UInt64(right)
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        return keys.withUnsafeBufferPointer { keys in
            while true {
                let found = keys[slot]
                if found == key { return values[slot] }
                if found == Self.empty { return nil }
                slot = (slot + 1) & (keys.count - 1)
            }
        }
    }
}

/// A bounded cache of word → ids, as `tokenizers` keeps for BPE. Direct-mapped, and like
/// `tokenizers` it never evicts: the words seen first (the frequent ones, mostly) stay.
/// Words and ids live in two append-only arrays, so a look-up touches little memory.
final class WordCache: Sendable {
    private struct Slot {
        /// 0 for an empty slot (real hashes have the low bit set).
        var hash: UInt64 = 0
        var wordStart: UInt32 = 0
        var idsStart: UInt32 = 0
        var wordCount: UInt16 = 0
        var idsCount: UInt16 = 0
    }

    private struct Storage {
        var slots = [Slot](repeating: Slot(), count: WordCache.slotCount)
        var words: [UInt8] = []
        var ids: [Int32] = []
    }

    /// Longer words are rarely seen twice (the limit `tokenizers` uses).
    static let maxWordLength = 256
    private static let slotCount = 16384
    private let storage = Mutex(Storage())

    /// Appends the cached ids of `word` and returns true, or returns false.
    func lookup(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, into ids: inout [Int]) -> Bool {
        storage.withLock { storage in
            let slot = storage.slots[Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)]
            guard slot.hash == hash | 1, Int(slot.wordCount) == word.count,
                storage.words.withUnsafeBufferPointer({ words in
                    memcmp(words.baseAddress! + Int(slot.wordStart), word.baseAddress!, word.count) == 0
                })
            else { return false }
            let start = Int(slot.idsStart)
            for id in storage.ids[start..<start + Int(slot.idsCount)] { ids.append(Int(id)) }
            return true
        }
    }

    func store(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<Int>) {
        guard word.count < Self.maxWordLength, ids.count <= Int(UInt16.max) else { return }
        storage.withLock { storage in
            let index = Int(truncatingIfNeeded: hash) & (Self.slotCount - 1)
            guard storage.slots[index].hash == 0 else { return }
            storage.slots[index] = Slot(
                hash: hash | 1, wordStart: UInt32(storage.words.count), idsStart: UInt32(storage.ids.count),
                wordCount: UInt16(word.count), idsCount: UInt16(ids.count))
            storage.words += word
            for id in ids { storage.ids.append(Int32(truncatingIfNeeded: id)) }
        }
    }
}
