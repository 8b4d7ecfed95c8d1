import RevmuxBundle
import RevmuxCompute
import RevmuxTokenizers

/// Everything a T5 or LLaMA classifier holds besides its frozen model: the task, whose
/// prompt and label words are its head, the tokenizer, and the multiplexer.
struct VerbaliserTask {
    let section: RevmuxSection
    let tokenizer: Tokenizer
    let verbalizer: Verbalizer
    let path: MuxPath

    /// `bundle` seen through its task; `hidden` and `compute` are the model's.
    init(_ bundle: BundleFile, hidden: Int, compute: Compute) throws(MuxError) {
        let parts = try TaskParts(bundle)
        section = parts.task
        tokenizer = parts.tokenizer
        verbalizer = try Verbalizer(section, tokenizer: tokenizer)
        path = try parts.path(hidden: hidden, compute: compute)
    }

    /// Each query in the task's prompt, as token ids.
    func promptIds(_ queries: [TextQuery]) -> [[Int32]] {
        tokenizer.encodeBatch(queries.map { (verbalizer.prompt($0), nil) }).map { $0.ids.map(Int32.init) }
    }
}
