import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTokenizers

/// A BERT task: the frozen encoder, its head, and the RevMUX adapters that let N queries
/// share layers [cf, L) (../shared/revmux-method.md, inference dataflow).
public final class BertClassifier: TaskClassifier {
    public let model: BertModel
    public let task: RevmuxSection
    public let tokenizer: Tokenizer
    let head: ClassifierHead
    let adapters: MuxAdapters
    let chain: CouplingChain
    private var buffers = MuxBuffers()

    public init(bundle: BundleFile, threads: Int = 1) throws(MuxError) {
        guard let task = bundle.manifest.revmux else { throw .noTask }
        guard bundle.manifest.family == .bert else { throw .unsupportedFamily(bundle.manifest.family.rawValue) }
        do {
            model = try BertModel(bundle: bundle, threads: threads)
        } catch {
            throw .model(error)
        }
        self.task = task
        do {
            var tokenizer = try Tokenizer(bundle: bundle)
            // Padding is the batch's business; inputs longer than the positions are cut.
            tokenizer.padding = nil
            let limit = model.config.maxPositions
            if (tokenizer.truncation?.maxLength ?? .max) > limit { tokenizer.truncation = Truncation(maxLength: limit) }
            self.tokenizer = tokenizer
        } catch {
            throw .tokenizer(error)
        }
        let d = model.config.hiddenSize
        let tensors = TaskTensors(bundle: bundle)
        head = ClassifierHead(pooler: model.pooler,
                              classifier: try tensors.linear("head.classifier", out: task.labels.count, in: d))
        adapters = try MuxAdapters(tensors, hidden: d, width: task.muxWidth)
        chain = CouplingChain(adapters: adapters.couplings, compute: model.compute)
    }

    public var layerCount: Int { model.layerCount }

    public func classify(_ queries: [TextQuery], multiplexed: Bool) throws(MuxError) -> [[Float]] {
        let encodings = tokenizer.encodeBatch(queries.map { ($0.text, $0.pair) })
        let batch = TokenBatch(padding: encodings.map { $0.ids.map(Int32.init) },
                               typeIds: encodings.map { $0.typeIds.map(Int32.init) })
        return try logits(batch, multiplexed: multiplexed)
    }

    /// Head logits [count][labels], one row per query of `batch`: through the multiplexer
    /// (groups of N consecutive queries) or, with `multiplexed: false`, each query alone
    /// through the whole backbone (the teacher).
    public func logits(_ batch: TokenBatch, multiplexed: Bool) throws(MuxError) -> [[Float]] {
        guard batch.count > 0 else { return [] }
        return logits(states: try headStates(batch, multiplexed: multiplexed), count: batch.count)
    }

    /// The head's logits for the first `count` rows of `states` (from `headStates`).
    public func logits(states: Matrix, count: Int) -> [[Float]] {
        head.logits(states, rows: count, compute: model.compute)
    }

    /// The state the head reads, one row per query (at least `batch.count` rows): the
    /// [CLS] position after the last layer, demultiplexed and up-projected when multiplexed.
    /// Valid until the next call.
    public func headStates(_ batch: TokenBatch, multiplexed: Bool) throws(MuxError) -> Matrix {
        let hidden: Matrix
        do {
            hidden = try model.embed(batch)
        } catch {
            throw .model(error)
        }
        let layers = model.layerCount
        guard multiplexed else {
            model.runLayers(0..<layers, hidden, batch.shape)
            return clsStates(hidden, batch.shape)
        }
        model.runLayers(0..<task.prefillLayers, hidden, batch.shape)
        let (mixed, shape) = multiplex(hidden, batch.shape)
        model.runLayers(task.prefillLayers..<layers, mixed, shape)
        return demultiplex(clsStates(mixed, shape), groups: shape.count)
    }

    /// Steps 3-6: down-project each query into its block of its group's row, with the
    /// query's padded positions (and absent queries of a short last group) left at zero;
    /// then the coupling chain. The mixed mask is the OR of the group's masks.
    private func multiplex(_ hidden: Matrix, _ shape: PaddedShape) -> (Matrix, PaddedShape) {
        let n = chain.width, k = chain.reduced, d = chain.hidden, length = shape.length
        let groups = (shape.count + n - 1) / n
        let mixed = buffers.matrix(\.mixed, rows: groups * length, cols: d)
        mixed.zero()
        for query in 0..<shape.count {
            let group = query / n, slot = query % n
            model.compute.linear(hidden.base + query * length * d, lda: d, rows: shape.lengths[query], adapters.down,
                                 into: mixed.base + group * length * d + slot * k, ldc: d)
        }
        chain.multiplex(mixed, into: mixed, rows: groups * length)
        let lengths = (0..<groups).map { group in shape.lengths[(group * n)..<min(shape.count, (group + 1) * n)].max()! }
        return (mixed, PaddedShape(count: groups, length: length, lengths: lengths))
    }

    /// Steps 8-9 for the one position the head reads: the inverse chain, then U on each
    /// block; row g·N + n of the result is query g·N + n's state.
    private func demultiplex(_ mixedCLS: Matrix, groups: Int) -> Matrix {
        let n = chain.width, k = chain.reduced, d = chain.hidden
        let recovered = buffers.matrix(\.recovered, rows: groups, cols: d)
        chain.demultiplex(mixedCLS, into: recovered, rows: groups)
        let wide = buffers.matrix(\.wide, rows: groups, cols: 3 * d)
        let wide2 = buffers.matrix(\.wide2, rows: groups, cols: 3 * d)
        let out = buffers.matrix(\.separated, rows: groups * n, cols: d)
        let compute = model.compute
        for slot in 0..<n {
            compute.linear(recovered.base + slot * k, lda: d, rows: groups, adapters.up[0], into: wide.base, ldc: 3 * d)
            compute.relu(wide, rows: groups)
            compute.linear(wide, rows: groups, adapters.up[1], into: wide2)
            compute.relu(wide2, rows: groups)
            compute.linear(wide2.base, lda: 3 * d, rows: groups, adapters.up[2], into: out.base + slot * d, ldc: n * d)
        }
        return out
    }

    /// Position 0 ([CLS]) of every sequence, packed.
    private func clsStates(_ hidden: Matrix, _ shape: PaddedShape) -> Matrix {
        let d = hidden.cols
        let out = buffers.matrix(\.cls, rows: shape.count, cols: d)
        for b in 0..<shape.count { out.row(b).update(from: hidden.row(b * shape.length), count: d) }
        return out
    }
}

/// Per-shape buffers of the multiplexed path, grown when a batch needs more rows.
struct MuxBuffers {
    var mixed = Matrix(rows: 0, cols: 0)
    var recovered = Matrix(rows: 0, cols: 0)
    var wide = Matrix(rows: 0, cols: 0)
    var wide2 = Matrix(rows: 0, cols: 0)
    var separated = Matrix(rows: 0, cols: 0)
    var cls = Matrix(rows: 0, cols: 0)

    /// The buffer at `key`, reallocated unless it is exactly rows × cols (callers use all rows).
    mutating func matrix(_ key: WritableKeyPath<MuxBuffers, Matrix>, rows: Int, cols: Int) -> Matrix {
        if self[keyPath: key].rows != rows || self[keyPath: key].cols != cols {
            self[keyPath: key] = Matrix(rows: rows, cols: cols)
        }
        return self[keyPath: key]
    }
}
