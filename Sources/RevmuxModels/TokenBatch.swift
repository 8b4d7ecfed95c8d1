/// Token sequences padded to the longest: `count` rows of `length` ids, right-padded;
/// the attention mask is 1 for the first `lengths[b]` tokens of row b, 0 after.
public struct TokenBatch: Sendable, Equatable {
    public let count: Int
    public let length: Int
    public let ids: [Int32]
    public let typeIds: [Int32]
    public let lengths: [Int]

    /// Pads `sequences` with `padId` (type ids 0 unless given, padded with 0).
    public init(padding sequences: [[Int32]], typeIds types: [[Int32]]? = nil, padId: Int32 = 0) {
        precondition(types == nil || types!.count == sequences.count)
        count = sequences.count
        length = sequences.map(\.count).max() ?? 0
        lengths = sequences.map(\.count)
        var ids = [Int32](repeating: padId, count: count * length)
        var typeIds = [Int32](repeating: 0, count: count * length)
        for (b, sequence) in sequences.enumerated() {
            for (t, id) in sequence.enumerated() { ids[b * length + t] = id }
            if let types {
                precondition(types[b].count == sequence.count, "type ids and ids differ in length")
                for (t, type) in types[b].enumerated() { typeIds[b * length + t] = type }
            }
        }
        self.ids = ids
        self.typeIds = typeIds
    }

    /// Already padded ids, type ids and a 0/1 mask, all `count * length`. The mask must mark
    /// a prefix of each row (right padding).
    public init(ids: [Int32], typeIds: [Int32], mask: [Int32], count: Int, length: Int) {
        precondition(ids.count == count * length && typeIds.count == ids.count && mask.count == ids.count)
        self.count = count
        self.length = length
        self.ids = ids
        self.typeIds = typeIds
        lengths = (0..<count).map { b in
            let row = mask[(b * length)..<((b + 1) * length)]
            let real = row.prefix { $0 != 0 }.count
            precondition(row.dropFirst(real).allSatisfy { $0 == 0 }, "mask row \(b) is not right-padded")
            return real
        }
    }

    /// The batch's padding: what attention layers need to know of it.
    public var shape: PaddedShape { PaddedShape(count: count, length: length, lengths: lengths) }

    public var mask: [Int32] {
        (0..<count).flatMap { b in (0..<length).map { Int32($0 < lengths[b] ? 1 : 0) } }
    }

    /// The rows from shortest to longest, ties in row order: with `selecting`, a batch whose
    /// consecutive rows have similar lengths.
    public var lengthOrder: [Int] { lengths.indices.sorted { (lengths[$0], $0) < (lengths[$1], $1) } }

    /// Row `rows[i]` as row i, for distinct `rows`, padded to the longest of them.
    public func selecting(_ rows: [Int]) -> TokenBatch {
        precondition(Set(rows).count == rows.count && rows.allSatisfy { $0 >= 0 && $0 < count }, "rows must be distinct rows of the batch")
        let longest = rows.map { lengths[$0] }.max() ?? 0
        // Every row, in order, already padded to its longest: the batch itself, not a copy.
        if longest == length, rows.elementsEqual(0..<count) { return self }
        let kept = rows.map { (b: Int) in (b * length)..<(b * length + longest) }
        let mask = rows.flatMap { b in (0..<longest).map { Int32($0 < lengths[b] ? 1 : 0) } }
        return TokenBatch(ids: kept.flatMap { ids[$0] }, typeIds: kept.flatMap { typeIds[$0] }, mask: mask,
                          count: rows.count, length: longest)
    }

    /// `order` (distinct rows) cut into runs of `size`, each run selected as a batch of its own.
    public func batches(in order: [Int], of size: Int) -> [(rows: [Int], batch: TokenBatch)] {
        precondition(size > 0, "a batch holds at least one row")
        return stride(from: 0, to: order.count, by: size).map { start in
            let rows = Array(order[start..<min(order.count, start + size)])
            return (rows, selecting(rows))
        }
    }
}

/// `count` sequences right-padded to `length`, of which sequence b has `lengths[b]` real
/// positions. Layers after the embeddings need only this, so multiplexed sequences (which
/// have no token ids of their own) describe themselves with it.
public struct PaddedShape: Sendable, Equatable {
    public let count: Int
    public let length: Int
    public let lengths: [Int]

    public init(count: Int, length: Int, lengths: [Int]) {
        precondition(lengths.count == count && lengths.allSatisfy { $0 >= 0 && $0 <= length })
        self.count = count
        self.length = length
        self.lengths = lengths
    }

    /// The rows a matrix of these sequences takes, padded.
    public var rows: Int { rows(in: .padded) }

    /// The rows a matrix of these sequences takes in `layout`.
    public func rows(in layout: RowLayout) -> Int {
        switch layout {
        case .padded: count * length
        case .packed: lengths.reduce(0, +)
        }
    }

    /// The row of each sequence's position 0 ([CLS]) in `layout`.
    public func starts(in layout: RowLayout) -> [Int] {
        switch layout {
        case .padded: return (0..<count).map { $0 * length }
        case .packed:
            var next = 0
            return lengths.map { real in defer { next += real }; return next }
        }
    }
}

/// Where sequences' rows sit in a [rows, d] matrix of states.
public enum RowLayout: Sendable {
    /// Sequence b at rows b·length ..< b·length + lengths[b], then its padding.
    case padded
    /// Real rows only, each sequence right after the previous one: what packed layers
    /// compute on.
    case packed
}
