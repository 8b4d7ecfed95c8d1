import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTokenizers

/// A LLaMA task: layers [cf, L) run on mixed sequences; each query's own last real token
/// is separated and read through the final norm and the LM head, restricted to the label
/// words.
public final class LlamaClassifier: TaskClassifier {
    public let model: LlamaModel
    let parts: VerbaliserTask

    /// `task` names one of the bundle's tasks; nil chooses its only one.
    public init(bundle: BundleFile, task name: String? = nil, threads: Int = 1) throws(MuxError) {
        let bundle = try bundle.choosingTask(name)
        let model = try openModel { () throws(ModelError) in try LlamaModel(bundle: bundle, threads: threads) }
        self.model = model
        parts = try VerbaliserTask(bundle, hidden: model.config.hiddenSize, compute: model.compute)
    }

    public var layerCount: Int { model.layerCount }
    public var task: RevmuxSection { parts.section }
    public var tokenizer: Tokenizer { parts.tokenizer }
    /// The LM head's token of each label word, in label order: what training's head reads.
    public var labelTokenIds: [Int32] { parts.verbalizer.tokenIds }
    public var hasTaskHead: Bool { false }

    /// Prompts longer than the context keep their end, where the answer follows.
    public func tokenize(_ queries: [TextQuery]) -> TokenBatch {
        TokenBatch(padding: parts.promptIds(queries).map { Array($0.suffix(model.config.contextLength)) })
    }

    /// Label-word logits [count][labels] for already tokenized prompts.
    public func logits(_ batch: TokenBatch, multiplexed: Bool) throws(MuxError) -> [[Float]] {
        do {
            let hidden = try model.embed(batch)
            let layers = model.layerCount
            guard multiplexed else {
                model.runLayers(0..<layers, hidden, batch.shape)
                return try model.lastTokenLogits(hidden, batch, tokens: parts.verbalizer.tokenIds)
            }
            model.runLayers(0..<task.prefillLayers, hidden, batch.shape)
            let (mixed, shape) = parts.path.mix(hidden, batch.shape)
            model.runLayers(task.prefillLayers..<layers, mixed, shape)
            // Query i (slot n of group g) is read at its own last token of its group's sequence;
            // separating that row yields every slot, of which slot n is query i's.
            let n = parts.path.width
            let lastRows = (0..<batch.count).map { i in (i / n) * shape.length + batch.lengths[i] - 1 }
            let separated = parts.path.separate(parts.path.gather(mixed, rows: lastRows), rows: batch.count)
            let own = parts.path.gather(separated, rows: (0..<batch.count).map { i in i * n + i % n })
            return try model.headLogits(own, rows: batch.count, tokens: parts.verbalizer.tokenIds)
        } catch {
            throw .model(error)
        }
    }
}
