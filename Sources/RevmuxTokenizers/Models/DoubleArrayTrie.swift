/// A byte trie stored as a double array: the child of node `s` for byte `c` sits at slot
/// `base(s) + c`, and is that child only if the slot's `check` names `s`. A step down the trie
/// is two loads and a compare, which is what the Unigram lattice does for every byte it tries.
struct DoubleArrayTrie: Sendable {
    struct Unit {
        var base: Int32
        /// The parent slot; -1 for a free slot, -2 for the root.
        var check: Int32
        /// The value of the key that ends here, or -1.
        var value: Int32
    }

    /// Every base is at most `units.count - 256`, so `base + byte` never leaves the array.
    private let units: [Unit]

    /// `keys` must be distinct; an empty key is accepted and never matched.
    init(keys: [(bytes: [UInt8], value: Int32)]) {
        var builder = Builder()
        builder.build(keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) })
        units = builder.finish()
    }

    /// The value stored for exactly `key`.
    func value<Bytes: Sequence<UInt8>>(of key: Bytes) -> Int32? {
        units.withUnsafeBufferPointer { units in
            var node = 0
            for byte in key {
                let next = Int(units[node].base) + Int(byte)
                guard units[next].check == Int32(node) else { return nil }
                node = next
            }
            let value = units[node].value
            return node != 0 && value >= 0 ? value : nil
        }
    }

    /// Calls `body(end, value)` for every key that is a prefix of `bytes[start...]`, shortest first.
    @inline(__always)
    func forEachPrefix(of bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int, Int32) -> Void) {
        units.withUnsafeBufferPointer { units in
            var node = 0
            var position = start
            while position < bytes.count {
                let next = Int(units[node].base) &+ Int(bytes[position])
                guard units[next].check == Int32(truncatingIfNeeded: node) else { return }
                node = next
                position += 1
                let value = units[node].value
                if value >= 0 { body(position, value) }
            }
        }
    }

    /// Places nodes depth-first, each at the first base where all its children's slots are
    /// free. Free slots are kept in a doubly linked list so the search skips used ones.
    private struct Builder {
        var units: [Unit] = []
        /// Free-list links, by slot; `head` is a sentinel past every real slot's index.
        var next: [Int32] = []
        var previous: [Int32] = []
        var inFreeList: [Bool] = []
        /// How often a free slot was tried as a node's first child and failed: slots that keep
        /// failing leave the list (they stay free, and can still take a later child).
        var failures: [UInt8] = []
        let head = -1
        var headNext: Int32 = -1
        var headPrevious: Int32 = -1
        var maxBase = 0

        mutating func build(_ keys: [(bytes: [UInt8], value: Int32)]) {
            grow(to: 256)
            occupy(0, parent: -2)
            var pending: [(slot: Int, range: Range<Int>, depth: Int)] = [(0, keys.indices, 0)]
            var labels: [UInt8] = []
            var bounds: [Int] = []
            while let (slot, range, depth) = pending.popLast() {
                var lower = range.lowerBound
                // Sorted keys put the one ending at this node first.
                if lower < range.upperBound, keys[lower].bytes.count == depth {
                    if depth > 0 { units[slot].value = keys[lower].value }
                    lower += 1
                }
                guard lower < range.upperBound else { continue }
                labels.removeAll(keepingCapacity: true)
                bounds.removeAll(keepingCapacity: true)
                var index = lower
                while index < range.upperBound {
                    let label = keys[index].bytes[depth]
                    labels.append(label)
                    bounds.append(index)
                    repeat { index += 1 } while index < range.upperBound && keys[index].bytes[depth] == label
                }
                bounds.append(range.upperBound)
                let base = findBase(labels)
                units[slot].base = Int32(base)
                maxBase = max(maxBase, base)
                for (offset, label) in labels.enumerated() {
                    let child = base + Int(label)
                    occupy(child, parent: slot)
                    pending.append((child, bounds[offset]..<bounds[offset + 1], depth + 1))
                }
            }
        }

        mutating func finish() -> [Unit] {
            // Slots past the last base's reach are all free.
            grow(to: maxBase + 256)
            units.removeSubrange((maxBase + 256)...)
            return units
        }

        private mutating func findBase(_ labels: [UInt8]) -> Int {
            let first = Int(labels[0])
            var slot = Int(headNext)
            while true {
                if slot == head {
                    slot = units.count
                    grow(to: units.count + 256)
                }
                let candidate = slot - first
                if candidate >= 1 {
                    grow(to: candidate + 256)
                    if labels.allSatisfy({ units[candidate + Int($0)].check == -1 }) { return candidate }
                }
                let following = Int(next[slot])
                failures[slot] &+= 1
                if failures[slot] >= 16 { unlink(slot) }
                slot = following
            }
        }

        private mutating func occupy(_ slot: Int, parent: Int) {
            units[slot].check = Int32(parent)
            if inFreeList[slot] { unlink(slot) }
        }

        private mutating func unlink(_ slot: Int) {
            let before = Int(previous[slot]), after = Int(next[slot])
            if before == head { headNext = Int32(after) } else { next[before] = Int32(after) }
            if after == head { headPrevious = Int32(before) } else { previous[after] = Int32(before) }
            inFreeList[slot] = false
        }

        /// Appends free slots, linked at the end of the free list, until there are `count`.
        private mutating func grow(to count: Int) {
            guard count > units.count else { return }
            for slot in units.count..<count {
                units.append(Unit(base: 0, check: -1, value: -1))
                next.append(Int32(head))
                previous.append(headPrevious)
                inFreeList.append(true)
                failures.append(0)
                if headPrevious == Int32(head) { headNext = Int32(slot) } else { next[Int(headPrevious)] = Int32(slot) }
                headPrevious = Int32(slot)
            }
        }
    }
}
