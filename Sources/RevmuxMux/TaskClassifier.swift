import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTokenizers

/// One query: a text, or a pair of texts for tasks such as entailment.
public struct TextQuery: Sendable, Equatable {
    public var text: String
    public var pair: String?

    public init(_ text: String, pair: String? = nil) {
        self.text = text
        self.pair = pair
    }
}

/// A bundle's task ready to classify: tokenizer, frozen backbone, head and adapters.
public protocol TaskClassifier: AnyObject {
    var task: RevmuxSection { get }
    var layerCount: Int { get }
    /// Whether the unmultiplexed path reads trained task tensors too (a BERT classifier
    /// head), or only the frozen model (a verbaliser over the LM head).
    var hasTaskHead: Bool { get }
    /// The queries, put into the task's prompt and tokenized, as one padded batch.
    func tokenize(_ queries: [TextQuery]) -> TokenBatch
    /// Logits [count][labels] of a tokenized batch: multiplexed in groups of N consecutive
    /// queries, or each query alone through the whole backbone (the teacher) when
    /// `multiplexed` is false.
    func logits(_ batch: TokenBatch, multiplexed: Bool) throws(MuxError) -> [[Float]]
}

/// Which queries of a batch share a multiplexed pass.
public enum MuxGrouping: String, CaseIterable, Sendable {
    /// Groups of N consecutive queries, as ../shared/revmux-method.md states the method.
    case consecutive
    /// Queries sorted by token count first, so a group's members have similar lengths:
    /// the mixed sequence is as long as its longest member, and packed layers compute no
    /// more than that. Results come back in input order.
    case length

    /// How many batches `revmux run` sorts together for `.length`. Sorting more queries at
    /// once makes closer groups (at N = 4 on reviews, 4.7% extra tokens sorted within a batch
    /// of 64, 1.3% across four), while each pass keeps one batch's working set, which stays
    /// in cache (MiniLM's --no-mux is slower at batch 256 than at 64).
    public static let sortWindow = 4
}

extension TaskClassifier {
    /// Logits [count][labels] of `queries`, in their order, run `batch` queries at a time
    /// (all at once by default). With `.length`, all of `queries` are sorted by token count
    /// before they are cut into batches, so a list of several batches sorts into groups of
    /// closer lengths than each batch alone would.
    public func classify(_ queries: [TextQuery], multiplexed: Bool, grouping: MuxGrouping = .consecutive,
                         batch: Int? = nil) throws(MuxError) -> [[Float]] {
        precondition(batch.map { $0 > 0 } ?? true, "a batch holds at least one query")
        guard !queries.isEmpty else { return [] }
        let tokens = tokenize(queries)
        let order = multiplexed && grouping == .length ? tokens.lengthOrder : Array(queries.indices)
        var result = [[Float]](repeating: [], count: queries.count)
        for (rows, part) in tokens.batches(in: order, of: batch ?? queries.count) {
            for (row, logits) in zip(rows, try logits(part, multiplexed: multiplexed)) { result[row] = logits }
        }
        return result
    }

    public var labels: [String] { task.labels }
    public var muxWidth: Int { task.muxWidth }
    public var prefillLayers: Int { task.prefillLayers }
}

/// Opens the classifier of task `task` (nil: the bundle's only task) for the bundle's family.
public func openClassifier(_ bundle: BundleFile, task: String? = nil, threads: Int) throws(MuxError) -> any TaskClassifier {
    switch bundle.manifest.family {
    case .bert: try BertClassifier(bundle: bundle, task: task, threads: threads)
    case .t5: try T5Classifier(bundle: bundle, task: task, threads: threads)
    case .llama: try LlamaClassifier(bundle: bundle, task: task, threads: threads)
    }
}

extension BundleFile {
    /// The bundle seen through task `name`; with nil, the task already chosen or the only one.
    func choosingTask(_ name: String?) throws(MuxError) -> BundleFile {
        if name == nil, task != nil { return self }
        do {
            return try selecting(task: name)
        } catch {
            throw .taskChoice(error)
        }
    }
}

/// What every classifier opens alike: the task section, the tokenizer (padding left to the
/// batch; inputs longer than `maxLength` cut) and the RevMUX path over the task's adapters.
struct TaskParts {
    let task: RevmuxSection
    let tokenizer: Tokenizer
    let tensors: TaskTensors

    init(_ bundle: BundleFile, maxLength: Int? = nil) throws(MuxError) {
        guard let task = bundle.task else { preconditionFailure("TaskParts needs a bundle seen through its task") }
        self.task = task
        do {
            var tokenizer = try Tokenizer(bundle: bundle)
            tokenizer.padding = nil
            if let maxLength, (tokenizer.truncation?.maxLength ?? .max) > maxLength {
                tokenizer.truncation = Truncation(maxLength: maxLength)
            }
            self.tokenizer = tokenizer
        } catch {
            throw .tokenizer(error)
        }
        tensors = TaskTensors(bundle: bundle)
    }

    func path(hidden: Int, compute: Compute) throws(MuxError) -> MuxPath {
        MuxPath(try MuxAdapters(tensors, hidden: hidden, width: task.muxWidth), compute: compute)
    }
}

/// A backbone, its errors reported as the task's.
func openModel<Model>(_ open: () throws(ModelError) -> Model) throws(MuxError) -> Model {
    do {
        return try open()
    } catch {
        throw .model(error)
    }
}
