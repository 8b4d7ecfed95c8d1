import RevmuxCompute
import RevmuxModels

/// What the frozen backbone gives each query, computed once before training: its states
/// after the prefill layers [0, cf) (which no trainable weight can change) and its [CLS]
/// state after the whole encoder (the teacher's).
public struct FrozenStates {
    public let hidden: Int
    public let prefillLayers: Int
    /// Per query, its real positions' states after layer cf − 1, [length, d] row-major
    /// (empty when prefill states were not asked for).
    public private(set) var prefill: [[Float]] = []
    public private(set) var lengths: [Int] = []
    /// [count, d]: the teacher's [CLS] states after the last layer.
    public let teacher: Matrix

    /// Runs `model` over `sequences` in batches of `batch`; `progress` gets the count done.
    public init(model: BertModel, sequences: [(ids: [Int32], typeIds: [Int32])], prefillLayers: Int?, batch: Int,
                progress: (Int) -> Void) throws(TrainError) {
        let d = model.config.hiddenSize, layers = model.layerCount
        hidden = d
        self.prefillLayers = prefillLayers ?? 0
        teacher = Matrix(rows: sequences.count, cols: d)
        var start = 0
        while start < sequences.count {
            let part = sequences[start..<min(sequences.count, start + batch)]
            let tokens = TokenBatch(padding: part.map(\.ids), typeIds: part.map(\.typeIds))
            let states: Matrix
            do {
                states = try model.embed(tokens)
            } catch {
                throw .data("\(error)")
            }
            let cf = prefillLayers ?? 0
            model.runLayers(0..<cf, states, tokens.shape)
            if prefillLayers != nil {
                for (offset, length) in tokens.lengths.enumerated() {
                    let rows = states.row(offset * tokens.length)
                    prefill.append(Array(UnsafeBufferPointer(start: rows, count: length * d)))
                }
            }
            lengths += tokens.lengths
            model.runLayers(cf..<layers, states, tokens.shape)
            for offset in 0..<tokens.count {
                teacher.row(start + offset).update(from: states.row(offset * tokens.length), count: d)
            }
            start += part.count
            progress(start)
        }
    }

    public var count: Int { lengths.count }

    /// The rows `queries` of the cache as one padded batch for `AdapterObjective`.
    public func batch(_ queries: [Int], labels: [Int]) -> PrefilledBatch {
        let d = hidden, length = queries.map { lengths[$0] }.max() ?? 0
        let states = Matrix(rows: max(1, queries.count * length), cols: d)
        let teacherRows = Matrix(rows: queries.count, cols: d)
        for (slot, q) in queries.enumerated() {
            prefill[q].withUnsafeBufferPointer { states.row(slot * length).update(from: $0.baseAddress!, count: $0.count) }
            teacherRows.row(slot).update(from: teacher.row(q), count: d)
        }
        return PrefilledBatch(states: states, shape: PaddedShape(count: queries.count, length: length,
                                                                 lengths: queries.map { lengths[$0] }),
                              teacher: teacherRows, labels: queries.map { labels[$0] })
    }
}
