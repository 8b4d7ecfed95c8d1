import RevmuxCompute
import RevmuxModels

/// A frozen backbone's plain (unmultiplexed) path, as FrozenStates runs it.
public protocol FrozenBackbone {
    var hiddenSize: Int { get }
    var layerCount: Int { get }
    func embed(_ batch: TokenBatch) throws(ModelError) -> Matrix
    func runLayers(_ range: Range<Int>, _ hidden: Matrix, _ shape: PaddedShape)
    /// [count, d] (at least): each sequence's teacher state once `hidden` has been through
    /// every layer, what the task head's `compared` output is for the multiplexed path. Valid
    /// until the model's next call.
    func teacherStates(_ hidden: Matrix, _ batch: TokenBatch) throws(ModelError) -> Matrix
}

extension BertModel: FrozenBackbone {
    public var hiddenSize: Int { config.hiddenSize }

    /// The [CLS] states: FrozenHead compares the state before its pooler.
    public func teacherStates(_ hidden: Matrix, _ batch: TokenBatch) -> Matrix {
        let states = Matrix(rows: batch.count, cols: hiddenSize)
        for b in 0..<batch.count { states.row(b).update(from: hidden.row(b * batch.length), count: hiddenSize) }
        return states
    }
}

extension LlamaModel: FrozenBackbone {
    public var hiddenSize: Int { config.hiddenSize }

    /// Each sequence's last real token after the final norm, as VerbaliserHead compares it
    /// (the model's buffer: FrozenStates copies it out at once).
    public func teacherStates(_ hidden: Matrix, _ batch: TokenBatch) -> Matrix {
        lastTokenStates(hidden, batch)
    }
}

extension T5Model: FrozenBackbone {
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { encoderLayerCount }

    public func runLayers(_ range: Range<Int>, _ hidden: Matrix, _ shape: PaddedShape) {
        runEncoderLayers(range, hidden, shape)
    }

    /// The first decoder position's state after the final norm (tied head's scale folded
    /// in), as VerbaliserHead compares it: the encoder is finished in place, then the decoder
    /// reads decoder_start_token_id alone, as T5Classifier and TrainingT5 do.
    public func teacherStates(_ hidden: Matrix, _ batch: TokenBatch) throws(ModelError) -> Matrix {
        finishEncoder(hidden)
        let start = TokenBatch(padding: Array(repeating: [config.decoderStartTokenId], count: batch.count))
        return try decode(start, encoderOutput: hidden, encoder: batch.shape)
    }
}

/// What the frozen backbone gives each query, computed once before training: its states
/// after the prefill layers [0, cf) (which no trainable weight can change) and its teacher
/// state after the whole plain path.
public struct FrozenStates {
    public let hidden: Int
    public let prefillLayers: Int
    /// Per query, its real positions' states after layer cf − 1, [length, d] row-major
    /// (empty when prefill states were not asked for).
    public private(set) var prefill: [[Float]] = []
    public private(set) var lengths: [Int] = []
    /// [count, d]: the teacher's states after the last layer (FrozenBackbone.teacherStates).
    public let teacher: Matrix

    /// Runs `model` over `sequences` in batches of `batch`; `progress` gets the count done.
    public init(model: some FrozenBackbone, sequences: [(ids: [Int32], typeIds: [Int32])], prefillLayers: Int?, batch: Int,
                progress: (Int) -> Void) throws(TrainError) {
        let d = model.hiddenSize, layers = model.layerCount
        hidden = d
        self.prefillLayers = prefillLayers ?? 0
        teacher = Matrix(rows: sequences.count, cols: d)
        var start = 0
        while start < sequences.count {
            let part = sequences[start..<min(sequences.count, start + batch)]
            let tokens = TokenBatch(padding: part.map(\.ids), typeIds: part.map(\.typeIds))
            do {
                let states = try model.embed(tokens)
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
                // Not `update(from: teacherStates(…).base)`: BERT's fresh matrix was freed before the copy.
                teacher.copyRows(tokens.count, from: try model.teacherStates(states, tokens), to: start)
            } catch {
                throw .data("\(error)")
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
