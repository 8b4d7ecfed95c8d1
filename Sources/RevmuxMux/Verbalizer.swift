import RevmuxBundle
import RevmuxTokenizers

/// How T5 and LLaMA tasks read a prediction: the prompt each query is put into, and the
/// token id of each label word, over which the LM head's arg-max is taken.
struct Verbalizer {
    let template: String?
    let tokenIds: [Int32]

    init(_ task: RevmuxSection, tokenizer: Tokenizer) throws(MuxError) {
        guard task.labelWords.count == task.labels.count else {
            throw .task("a verbaliser task needs one label word per label; the bundle has \(task.labelWords.count) for \(task.labels.count)")
        }
        template = task.template
        // The first token of each word (as it reads after a space, which is how it would
        // follow the prompt) stands for the word.
        var ids: [Int32] = []
        for word in task.labelWords {
            guard let first = tokenizer.encode(word, addSpecialTokens: false).ids.first else {
                throw .task("label word \"\(word)\" has no tokens")
            }
            ids.append(Int32(first))
        }
        guard Set(ids).count == ids.count else {
            throw .task("label words \(task.labelWords) do not start with distinct tokens, so they cannot be told apart")
        }
        tokenIds = ids
    }

    /// The query in its prompt: `{text}` and `{text_b}` in the template are replaced; with no
    /// template, the text (and the pair after a space).
    func prompt(_ query: TextQuery) -> String {
        guard let template else { return query.pair.map { query.text + " " + $0 } ?? query.text }
        return template.replacingOccurrences(of: "{text}", with: query.text)
            .replacingOccurrences(of: "{text_b}", with: query.pair ?? "")
    }
}
