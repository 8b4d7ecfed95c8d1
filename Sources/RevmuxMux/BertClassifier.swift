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
    let path: MuxPath

    /// `task` names one of the bundle's tasks; nil chooses its only one.
    public init(bundle: BundleFile, task name: String? = nil, threads: Int = 1) throws(MuxError) {
        let bundle = try bundle.choosingTask(name)
        guard bundle.manifest.family == .bert else { throw .model(.config("family is \(bundle.manifest.family.rawValue), not bert")) }
        let model = try openModel { () throws(ModelError) in try BertModel(bundle: bundle, threads: threads) }
        let parts = try TaskParts(bundle, maxLength: model.config.maxPositions)
        let d = model.config.hiddenSize
        self.model = model
        task = parts.task
        tokenizer = parts.tokenizer
        head = ClassifierHead(pooler: model.pooler,
                              classifier: try parts.tensors.linear("head.classifier", out: task.labels.count, in: d))
        path = try parts.path(hidden: d, compute: model.compute)
    }

    public var layerCount: Int { model.layerCount }
    public var hasTaskHead: Bool { true }

    public func tokenize(_ queries: [TextQuery]) -> TokenBatch {
        let encodings = tokenizer.encodeBatch(queries.map { ($0.text, $0.pair) })
        return TokenBatch(padding: encodings.map { $0.ids.map(Int32.init) }, typeIds: encodings.map { $0.typeIds.map(Int32.init) })
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
            // Packed from the embeddings to the head: nothing is computed for a padded row.
            hidden = try model.embed(batch, layout: .packed)
        } catch {
            throw .model(error)
        }
        let layers = model.layerCount
        guard multiplexed else {
            model.runPackedLayers(0..<layers, hidden, batch.shape)
            return path.gather(hidden, rows: batch.shape.starts(in: .packed))
        }
        model.runPackedLayers(0..<task.prefillLayers, hidden, batch.shape)
        let (mixed, shape) = path.mix(hidden, batch.shape, layout: .packed)
        model.runPackedLayers(task.prefillLayers..<layers, mixed, shape)
        return path.separate(path.gather(mixed, rows: shape.starts(in: .packed)), rows: shape.count)
    }
}
