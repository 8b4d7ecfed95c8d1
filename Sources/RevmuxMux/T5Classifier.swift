import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTokenizers

/// A T5 task: the encoder's layers [cf, L) and the whole decoder run on mixed sequences;
/// the first decoder position's state is separated and read through the decoder's final
/// norm and the LM head, restricted to the label words.
public final class T5Classifier: TaskClassifier {
    public let model: T5Model
    let parts: VerbaliserTask

    /// `task` names one of the bundle's tasks; nil chooses its only one.
    public init(bundle: BundleFile, task name: String? = nil, threads: Int = 1) throws(MuxError) {
        let bundle = try bundle.choosingTask(name)
        let model = try openModel { () throws(ModelError) in try T5Model(bundle: bundle, threads: threads) }
        self.model = model
        parts = try VerbaliserTask(bundle, hidden: model.config.hiddenSize, compute: model.compute)
    }

    public var layerCount: Int { model.encoderLayerCount }
    public var task: RevmuxSection { parts.section }
    public var tokenizer: Tokenizer { parts.tokenizer }
    /// The LM head's token of each label word, in label order: what training's head reads.
    public var labelTokenIds: [Int32] { parts.verbalizer.tokenIds }
    public var hasTaskHead: Bool { false }

    public func tokenize(_ queries: [TextQuery]) -> TokenBatch {
        TokenBatch(padding: parts.promptIds(queries))
    }

    /// Label-word logits [count][labels] for already tokenized prompts.
    public func logits(_ batch: TokenBatch, multiplexed: Bool) throws(MuxError) -> [[Float]] {
        do {
            let hidden = try model.embed(batch)
            let layers = model.encoderLayerCount
            guard multiplexed else {
                model.runEncoderLayers(0..<layers, hidden, batch.shape)
                model.finishEncoder(hidden)
                let states = try model.decode(startTokens(batch.count), encoderOutput: hidden, encoder: batch.shape)
                return try model.logits(states, rows: Array(0..<batch.count), tokens: parts.verbalizer.tokenIds)
            }
            model.runEncoderLayers(0..<task.prefillLayers, hidden, batch.shape)
            let (mixed, shape) = parts.path.mix(hidden, batch.shape)
            model.runEncoderLayers(task.prefillLayers..<layers, mixed, shape)
            model.finishEncoder(mixed)
            // Separated before the final norm, as LLaMA's are: the norm is the head's first op,
            // and training's teacher compares the state after it.
            let states = try model.runDecoder(startTokens(shape.count), encoderOutput: mixed, encoder: shape)
            let separated = parts.path.separate(states, rows: shape.count)
            model.finishDecoder(separated)
            return try model.logits(separated, rows: Array(0..<batch.count), tokens: parts.verbalizer.tokenIds)
        } catch {
            throw .model(error)
        }
    }

    /// One decoder position per sequence: decoder_start_token_id, whose output predicts the
    /// answer's first token.
    private func startTokens(_ count: Int) -> TokenBatch {
        TokenBatch(padding: Array(repeating: [model.config.decoderStartTokenId], count: count))
    }
}
