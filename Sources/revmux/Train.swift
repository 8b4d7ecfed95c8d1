import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxFormats
import RevmuxModels
import RevmuxMux
import RevmuxTensors
import RevmuxTokenizers
import RevmuxTrain

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train RevMUX adapters: BERT after its teacher classifier head, LLaMA and T5 with their verbalisers (../shared/revmux-method.md).",
        discussion: """
            First the teacher: `train head` fits head.classifier on the frozen encoder and pooler, \
            unmultiplexed; with --tune-layers k it also tunes the top k layers and the pooler (a \
            task-specific backbone: a much stronger teacher, k layers' weights bigger). Then \
            `train adapters` fits W_down, F_n and U with that teacher frozen (CE + 0.25 InfoNCE \
            + |cos|); tuned layers in --head are used and passed on. Its output goes to \
            `revmux convert --adapters`, where tuned layers replace the backbone's for that task \
            only. A LLaMA or T5 bundle with its task skips `train head`: see `revmux train adapters --help`.

            Example (Rotten Tomatoes: bzcat rotten_tomatoes_corpus_full.csv.bz2 > rt.csv):
              revmux convert MiniLM -o base.revmux
              revmux train head base.revmux --data rt.csv --label-column category \\
                  --labels negative,positive --label-map fresh=positive,rotten=negative -o head.safetensors
              revmux train adapters base.revmux --head head.safetensors --mux 2 --prefill-layers 3 \\
                  --data rt.csv --label-column category --labels negative,positive \\
                  --label-map fresh=positive,rotten=negative --write-test test.tsv -o task.safetensors
              revmux convert MiniLM -o task.revmux --mux 2 --prefill-layers 3 --labels negative,positive \\
                  --adapters task.safetensors && revmux run task.revmux --input test.tsv
            """,
        subcommands: [TrainHead.self, TrainAdapters.self])
}

extension DataSpec.Format: ExpressibleByArgument {}
extension LearningRateSchedule: ExpressibleByArgument {}

/// Where the labelled examples come from and how they are split.
struct DataOptions: ParsableArguments {
    @Option(help: "Labelled data: CSV or TSV with a header row, or JSON lines.")
    var data: String

    @Option(help: "csv, tsv or jsonl (default: from the extension).")
    var format: DataSpec.Format?

    @Option(help: "The column (or JSON key) holding the text.")
    var textColumn = "text"

    @Option(help: "The column holding the pair's second text, for pair tasks.")
    var pairColumn: String?

    @Option(help: "The column holding the label.")
    var labelColumn = "label"

    @Option(help: "The task's labels in head order, comma-separated.")
    var labels: String

    @Option(help: "Raw label values mapped to the task's, e.g. fresh=positive,rotten=negative; other values are dropped.")
    var labelMap: String?

    @Option(help: "Seed of the 80/10/10 train/dev/test split, the shuffles and the initial weights.")
    var seed: UInt64 = 1

    @Option(help: "Write the test split as TSV (text, label) for `revmux run`.")
    var writeTest: String?

    @Option(help: "Tokens per query at most (longer ones are cut: BERT and T5 keep the start, LLaMA the end, where the answer follows).")
    var maxLength = 128

    var labelList: [String] { labels.split(separator: ",").map(String.init) }

    func spec() throws -> DataSpec {
        guard let format = format ?? DataSpec.format(for: data) else {
            throw ValidationError("cannot tell the format of \(data) from its extension: give --format csv|tsv|jsonl")
        }
        var map: [String: String] = [:]
        for entry in (labelMap ?? "").split(separator: ",") {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--label-map entries are raw=label, not \"\(entry)\"") }
            map[parts[0]] = parts[1]
        }
        return DataSpec(format: format, textColumn: textColumn, pairColumn: pairColumn, labelColumn: labelColumn,
                        labels: labelList, labelMap: map)
    }
}

/// The optimiser and run options both commands share.
struct RunOptions: ParsableArguments {
    @Option(help: "Passes over the training split.")
    var epochs: Int

    @Option(help: "Queries per mini-batch.")
    var batch = 32

    @Option(help: "AdamW learning rate (weight decay 0.01, none on biases).")
    var lr: Float

    @Option(help: ArgumentHelp("How the learning rate moves: constant (the paper's), or linear from --lr down to zero at the last step.",
                               discussion: "A resumed linear run follows the schedule of its --epochs, so resume with the same --epochs to continue the same run."))
    var schedule = LearningRateSchedule.constant

    @Option(help: "Compute threads.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .shortAndLong, help: "The safetensors file to write (the best dev epoch's weights).")
    var output: String

    @Option(help: "Write a checkpoint here after every epoch (weights, AdamW moments, the best epoch so far).")
    var checkpoint: String?

    @Flag(help: "Continue from --checkpoint; give the same data, seed and options as the interrupted run.")
    var resume = false

    func validate() throws {
        guard !resume || checkpoint != nil else { throw ValidationError("--resume needs --checkpoint FILE") }
        guard epochs >= 1, batch >= 1, threads >= 1, lr > 0 else {
            throw ValidationError("--epochs, --batch and --threads must be at least 1, --lr positive")
        }
    }

    /// The epoch loop these options describe.
    func loop(seed: UInt64, progressEvery: Int) -> TrainingLoop {
        var loop = TrainingLoop(epochs: epochs, batchSize: batch, seed: seed, schedule: schedule)
        loop.progressEvery = progressEvery
        return loop
    }

    /// With --resume, the checkpoint's state, restored into `parameters` and `optimizer`.
    func resumed(_ parameters: [Parameter], _ optimizer: AdamW) throws -> TrainingCheckpoint? {
        guard resume, let checkpoint else { return nil }
        do {
            return try TrainingCheckpoint.read(checkpoint, parameters: parameters, optimizer: optimizer)
        } catch {
            throw failure("\(error)")
        }
    }

    /// After each epoch: the output when the epoch is the best so far, and the checkpoint.
    func save(_ state: TrainingCheckpoint, isBest: Bool, parameters: [Parameter], optimizer: AdamW,
              output tensors: [Parameter], dtype: SafetensorsWriter.DType = .f32) throws(TrainError) {
        if isBest { try SafetensorsWriter.write(tensors, to: output, dtype: dtype) }
        if let checkpoint { try state.write(parameters: parameters, optimizer: optimizer, to: checkpoint) }
    }
}

/// The frozen backbone training runs: a BERT encoder (with a classifier head to train), or a
/// LLaMA or T5 task whose verbaliser (label words, prompt template) is the head.
enum Backbone {
    case bert(BertModel)
    case llama(LlamaClassifier)
    case t5(T5Classifier)
}

extension Backbone {
    /// A LLaMA or T5 task's section, whose label words and template are its head.
    var verbaliserTask: RevmuxSection? {
        switch self {
        case .bert: nil
        case .llama(let classifier): classifier.task
        case .t5(let classifier): classifier.task
        }
    }
}

/// What both commands prepare: the bundle's backbone, the split, the frozen cache.
struct TrainingSetup {
    /// The bundle, with a tuned teacher's tensors in place of its own when given.
    let bundle: BundleFile
    let backbone: Backbone
    let labels: [String]
    let train: [LabelledExample], dev: [LabelledExample]
    let states: FrozenStates

    /// Opens the bundle; a head is asked of the family here, before the slow frozen pass.
    static func open(_ path: String, head: Bool) throws -> BundleFile {
        let bundle: BundleFile
        do {
            bundle = try BundleFile(path: path)
        } catch {
            throw fail(error)
        }
        if head, bundle.manifest.family != .bert {
            throw failure("\(path): a \(bundle.manifest.family == .t5 ? "T5" : "LLaMA") task has no head to train: its label words are the head (go on with train adapters)")
        }
        return bundle
    }

    init(bundle path: String, head: Bool, overlay: [TensorView] = [], data: DataOptions, threads: Int, prefillLayers: Int?) throws {
        let bundle = try Self.open(path, head: head).overlaying(overlay)
        self.bundle = bundle
        let layerCount: Int
        switch bundle.manifest.family {
        case .bert:
            let model: BertModel
            do {
                model = try BertModel(bundle: bundle, threads: threads)
            } catch {
                throw failure("\(path): \(error)")
            }
            backbone = .bert(model)
            layerCount = model.layerCount
        case .llama:
            let classifier = try Self.openVerbaliserTask(path, data, family: "LLaMA") { try LlamaClassifier(bundle: bundle, threads: threads) }
            backbone = .llama(classifier)
            layerCount = classifier.layerCount
        case .t5:
            let classifier = try Self.openVerbaliserTask(path, data, family: "T5") { try T5Classifier(bundle: bundle, threads: threads) }
            backbone = .t5(classifier)
            layerCount = classifier.layerCount
        }
        if let cf = prefillLayers, !(1..<layerCount).contains(cf) {
            throw ValidationError("--prefill-layers must be in 1..<\(layerCount)")
        }
        let set: LabelledData
        do {
            set = try LabelledData(path: data.data, spec: try data.spec())
        } catch let error as TrainError {
            throw failure("\(error)")
        }
        let (train, dev, test) = set.split(seed: data.seed)
        labels = data.labelList
        self.train = train
        self.dev = dev
        var stderr = StandardError()
        print("revmux: \(set.examples.count) examples (\(set.dropped) dropped for other labels): train \(train.count), dev \(dev.count), test \(test.count)",
              to: &stderr)
        if let path = data.writeTest {
            let names = data.labelList
            let clean = { (s: String) in s.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: " ") }
            let lines = test.map { e in ([clean(e.text)] + (e.pair.map { [clean($0)] } ?? []) + [names[e.label]]).joined(separator: "\t") }
            do {
                try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                printError("\(path): \(error.localizedDescription)")
                throw ExitCode(Sysexits.ioError)
            }
        }
        let examples = train + dev
        switch backbone {
        case .bert(let model):
            var tokenizer: Tokenizer
            do {
                tokenizer = try Tokenizer(bundle: bundle)
            } catch {
                throw failure("\(path): \(error)")
            }
            tokenizer.padding = nil
            tokenizer.truncation = Truncation(maxLength: min(data.maxLength, model.config.maxPositions))
            let encodings = tokenizer.encodeBatch(examples.map { ($0.text, $0.pair) })
            let sequences = encodings.map { (ids: $0.ids.map(Int32.init), typeIds: $0.typeIds.map(Int32.init)) }
            states = try Self.cache(model: model, sequences: sequences, prefillLayers: prefillLayers)
        case .llama(let classifier):
            // A long prompt keeps its end, where the answer follows.
            states = try Self.cache(model: classifier.model, sequences: Self.prompts(classifier, examples) { $0.suffix(data.maxLength) },
                                    prefillLayers: prefillLayers)
        case .t5(let classifier):
            // A long prompt keeps its start, where a template puts its instruction.
            states = try Self.cache(model: classifier.model, sequences: Self.prompts(classifier, examples) { $0.prefix(data.maxLength) },
                                    prefillLayers: prefillLayers)
        }
    }

    /// Each example in the task's prompt, tokenized as `revmux run` builds it, then `cut`.
    private static func prompts(_ classifier: some TaskClassifier, _ examples: [LabelledExample],
                                cut: (ArraySlice<Int32>) -> ArraySlice<Int32>) -> [(ids: [Int32], typeIds: [Int32])] {
        let tokens = classifier.tokenize(examples.map { TextQuery($0.text, pair: $0.pair) })
        return (0..<tokens.count).map { b in
            let ids = cut(tokens.ids[(b * tokens.length)..<(b * tokens.length + tokens.lengths[b])])
            return (ids: Array(ids), typeIds: [Int32](repeating: 0, count: ids.count))
        }
    }

    /// A LLaMA or T5 task, whose verbaliser is its head: the bundle must carry the task, and
    /// --labels must name its labels in order.
    private static func openVerbaliserTask<C: TaskClassifier>(_ path: String, _ data: DataOptions, family: String,
                                                          _ open: () throws -> C) throws -> C {
        let classifier: C
        do {
            classifier = try open()
        } catch {
            throw failure("\(path): \(error) (\(family) training reads the bundle's task: revmux convert --mux --prefill-layers --labels --label-words --template --init-adapters)")
        }
        guard classifier.task.labels == data.labelList else {
            throw ValidationError("--labels \(data.labels) must be the bundle task's labels in order: \(classifier.task.labels.joined(separator: ","))")
        }
        return classifier
    }

    private static func cache(model: some FrozenBackbone, sequences: [(ids: [Int32], typeIds: [Int32])], prefillLayers: Int?) throws
        -> FrozenStates {
        var stderr = StandardError()
        let start = Date()
        defer { print(String(format: "\nrevmux: cached in %.1f s", Date().timeIntervalSince(start)), to: &stderr) }
        do {
            return try FrozenStates(model: model, sequences: sequences, prefillLayers: prefillLayers, batch: 32) { done in
                if done % 1024 < 32 || done == sequences.count {
                    print("\rrevmux: frozen pass \(done)/\(sequences.count)", terminator: "", to: &stderr)
                }
            }
        } catch {
            throw failure("\(error)")
        }
    }

    /// Accuracy on the dev split (the cache's rows after the training split), evaluated in
    /// batches of `batch` by `correct`, which counts a batch's right predictions.
    func devAccuracy(batch: Int, correct: (PrefilledBatch) -> Int) -> Float {
        let labels = allLabels
        let hits = stride(from: train.count, to: labels.count, by: batch).reduce(0) { sum, start in
            sum + correct(states.batch(Array(start..<min(labels.count, start + batch)), labels: labels))
        }
        return Float(hits) / Float(dev.count)
    }

    var allLabels: [Int] { (train + dev).map(\.label) }
}

func failure(_ message: String) -> ExitCode {
    printError(message)
    return ExitCode(Sysexits.dataError)
}

/// One line per report on standard error.
func printProgress(_ p: TrainingProgress, total: Int) {
    var stderr = StandardError()
    var line = String(format: "epoch %d [%d/%d] loss %.4f acc %.2f%% %.0f queries/s", p.epoch, p.seen, total, p.loss,
                      100 * p.accuracy, p.queriesPerSecond)
    if let dev = p.devAccuracy { line += String(format: "; dev acc %.2f%%%@", 100 * dev, p.isBest ? " (best, saved)" : "") }
    print("revmux: " + line, to: &stderr)
}

struct TrainHead: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Fit head.classifier on the frozen encoder and pooler (the unmultiplexed teacher).")

    @Argument(help: "A BERT .revmux bundle (revmux convert MODEL -o BUNDLE).")
    var bundle: String

    @Option(help: ArgumentHelp(
        "Also tune the top k encoder layers and the pooler (a task-specific backbone: stronger teacher, bigger task).",
        discussion: "The tuned tensors are saved with the head under the backbone's names; train adapters --head and convert --adapters carry them into the task."))
    var tuneLayers = 0

    @OptionGroup var data: DataOptions
    @OptionGroup var options: RunOptions

    func run() throws {
        guard tuneLayers == 0 else { return try runTuning() }
        let setup = try TrainingSetup(bundle: bundle, head: true, data: data, threads: options.threads, prefillLayers: nil)
        guard case .bert(let model) = setup.backbone else { preconditionFailure("TrainingSetup.open admits BERT only for a head") }
        let compute = Compute(threads: options.threads)
        let head = HeadObjective(pooler: model.pooler, hidden: model.config.hiddenSize,
                                 labels: setup.labels.count, seed: data.seed, compute: compute)
        let pooled = head.pooled(setup.states.teacher)
        let labels = setup.allLabels, trainCount = setup.train.count
        let parameters = head.classifier.parameters
        let optimizer = AdamW(parameters: parameters, learningRate: options.lr)
        let loop = options.loop(seed: data.seed, progressEvery: 20)
        let devRows = Array(trainCount..<labels.count)
        let resume = try options.resumed(parameters, optimizer)
        let best = try loop.run(parameters: parameters, optimizer: optimizer, trainCount: trainCount, resume: resume,
                                step: { head.evaluate(pooled, rows: $0, labels: labels, backward: true) },
                                devAccuracy: { Float(head.evaluate(pooled, rows: devRows, labels: labels, backward: false).correct) / Float(devRows.count) },
                                epochDone: { (state, isBest) throws(TrainError) in
                                    try options.save(state, isBest: isBest, parameters: parameters, optimizer: optimizer,
                                                     output: parameters)
                                },
                                progress: { if $0.phase == .epochEnd { printProgress($0, total: trainCount) } })
        var stderr = StandardError()
        print(String(format: "revmux: best dev accuracy %.2f%%; head written to %@", 100 * best, options.output), to: &stderr)
    }

    /// The head with the top `tuneLayers` layers and the pooler: states after the frozen
    /// layers are cached once, each step runs and back-propagates through the tuned ones.
    private func runTuning() throws {
        let layerCount: Int
        do {
            layerCount = try BertConfig(try BundleFile(path: bundle).manifest.config).layers
        } catch let error as OpenError<BundleProblem> {
            throw fail(error)
        } catch {
            throw failure("\(bundle): \(error)")
        }
        guard (1..<layerCount).contains(tuneLayers) else {
            throw ValidationError("--tune-layers must be in 1..<\(layerCount) (the encoder has \(layerCount) layers)")
        }
        let frozen = layerCount - tuneLayers
        let setup = try TrainingSetup(bundle: bundle, head: true, data: data, threads: options.threads, prefillLayers: frozen)
        guard case .bert(let model) = setup.backbone else { preconditionFailure("TrainingSetup.open admits BERT only for a head") }
        let compute = Compute(threads: options.threads)
        let tuned: [TunedBertLayer]
        do {
            tuned = try (frozen..<layerCount).map { (n) throws(TrainError) in
                TunedBertLayer(index: n, from: try FrozenBertLayer(bundle: setup.bundle, index: n, config: model.config))
            }
        } catch {
            throw failure("\(bundle): \(error)")
        }
        let objective = TuningObjective(
            layers: tuned, heads: model.config.heads, eps: model.config.layerNormEps, pooler: model.pooler,
            classifier: .classifierHead(hidden: model.config.hiddenSize, labels: setup.labels.count, seed: data.seed), compute: compute)
        let states = setup.states, labels = setup.allLabels, trainCount = setup.train.count
        let parameters = objective.parameters
        let optimizer = AdamW(parameters: parameters, learningRate: options.lr)
        let loop = options.loop(seed: data.seed, progressEvery: 40)
        let resume = try options.resumed(parameters, optimizer)
        let best = try loop.run(
            parameters: parameters, optimizer: optimizer, trainCount: trainCount, resume: resume,
            step: { objective.evaluate(states.batch($0, labels: labels), backward: true) },
            devAccuracy: { setup.devAccuracy(batch: options.batch) { objective.evaluate($0, backward: false).correct } },
            epochDone: { (state, isBest) throws(TrainError) in
                try options.save(state, isBest: isBest, parameters: parameters, optimizer: optimizer, output: objective.savedTensors)
            },
            progress: { printProgress($0, total: trainCount) })
        var stderr = StandardError()
        print(String(format: "revmux: best dev accuracy %.2f%%; head, pooler and layers %d-%d written to %@", 100 * best, frozen + 1,
                     layerCount, options.output), to: &stderr)
    }
}

struct TrainAdapters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapters",
        abstract: "Fit the RevMUX adapters (W_down, F_n, U) with the teacher head frozen.",
        discussion: """
            A LLaMA bundle needs no --head: convert it with its task (--mux, --prefill-layers, \
            --labels, --label-words, --template, --init-adapters) and the verbaliser is the head: \
            the label words' logits at each query's own last token, after the final norm, which is \
            also the state InfoNCE (weight 0.5) compares with the plain model's.

              revmux convert SmolLM2.gguf -o base.revmux --mux 2 --prefill-layers 15 \\
                  --labels negative,positive --label-words negative,positive \\
                  --template "$(printf 'Review: {text}\\nSentiment:')" --init-adapters 1
              revmux train adapters base.revmux --mux 2 --prefill-layers 15 --data rt.csv \\
                  --label-column category --labels negative,positive \\
                  --label-map fresh=positive,rotten=negative --epochs 3 --batch 8 \\
                  --lr 1e-4 -o task.safetensors

            A T5 bundle is the same, with its task converted the same way: the verbaliser reads \
            the first decoder position (decoder_start_token_id's output) after the decoder's \
            final norm; the mixed pass is encoder layers [cf, L) and the whole decoder.
            """)

    @Argument(help: "A BERT .revmux bundle, or a LLaMA or T5 bundle with its task (label words, template).")
    var bundle: String

    @Option(help: "BERT only: the teacher, with head.classifier.weight and .bias and any tuned layers and pooler (revmux train head).")
    var head: String?

    @Option(help: "Queries multiplexed per pass (N).")
    var mux = 2

    @Option(help: "Layers each query runs alone before multiplexing (cf).")
    var prefillLayers: Int

    @Option(help: "Weight of the InfoNCE distillation term (default 0.25 for BERT, 0.5 for LLaMA and T5, as in the paper).")
    var infoNCEWeight: Float?

    @Option(help: "Weight of the |cos| term between a group's down-projected queries.")
    var cosineWeight: Float = 1

    @Flag(help: "Store the adapters as F16: half the file, for shipping (revmux convert reads them back as f32).")
    var f16 = false

    @Option(help: ArgumentHelp(
        "Also add the trained task to this bundle (BUNDLE itself, or another of the same backbone), rewritten atomically.",
        discussion: "As revmux convert TARGET -o TARGET --force --task NAME --adapters OUTPUT does, with this run's --mux, --prefill-layers and --labels (and a LLaMA or T5 task's label words and template).",
        valueName: "target"))
    var into: String?

    @Option(help: "The name of the task --into adds (revmux run --task NAME); it must be new to that bundle.")
    var task = TaskOptions.defaultName

    @OptionGroup var data: DataOptions
    @OptionGroup var options: RunOptions

    func run() throws {
        if let into { try checkTarget(into) }
        let headFile: SafetensorsFile?
        do {
            headFile = try head.map { try SafetensorsFile(path: $0) }
        } catch let error as OpenError<SafetensorsProblem> {
            throw fail(error)
        }
        // A tuned teacher's layers and pooler replace the backbone's everywhere below: in the
        // prefill, the mixed pass and the teacher's states alike; they are saved with the task.
        let tunedViews = (headFile?.tensors ?? []).filter { !$0.name.hasPrefix("head.") }.compactMap { headFile?.tensor(named: $0.name) }
        let tuned = try tunedViews.map { view in
            do {
                return Parameter(name: view.name, value: try Matrix(view), shape: view.shape, decays: false)
            } catch {
                throw failure("\(head ?? ""): \(view.name): \(error)")
            }
        }
        let setup = try TrainingSetup(bundle: bundle, head: false, overlay: tunedViews, data: data, threads: options.threads,
                                      prefillLayers: prefillLayers)
        let file = setup.bundle
        let compute = Compute(threads: options.threads)
        let d: Int, encoder: any FrozenStack, taskHead: any TrainingHead, classifier: TrainableLinear?
        do {
            switch setup.backbone {
            case .bert(let model):
                d = model.config.hiddenSize
                guard let head, let headFile else { throw ValidationError("a BERT bundle needs --head (revmux train head writes it)") }
                let trained = try readHead(headFile, path: head, labels: setup.labels.count, hidden: d)
                let layers = try (prefillLayers..<model.layerCount).map { (n) throws(TrainError) in
                    try FrozenBertLayer(bundle: file, index: n, config: model.config)
                }
                encoder = TrainingEncoder(layers: layers, heads: model.config.heads, eps: model.config.layerNormEps, compute: compute)
                taskHead = FrozenHead(pooler: model.pooler, classifier: trained.linear, compute: compute)
                classifier = trained
            case .llama(let task):
                let config = task.model.config
                d = config.hiddenSize
                guard head == nil else { throw ValidationError("a LLaMA task reads its label words: it takes no --head") }
                encoder = try TrainingDecoder(bundle: file, layers: prefillLayers..<config.layers, config: config, compute: compute)
                let labelRows: Matrix
                do {
                    labelRows = try task.model.headRows(task.labelTokenIds)
                } catch {
                    throw TrainError.model(error)
                }
                taskHead = VerbaliserHead(finalNorm: task.model.finalNorm, labelRows: labelRows, eps: config.rmsNormEps)
                classifier = nil
            case .t5(let task):
                let config = task.model.config
                d = config.hiddenSize
                guard head == nil else { throw ValidationError("a T5 task reads its label words: it takes no --head") }
                encoder = try TrainingT5(bundle: file, encoderLayers: prefillLayers..<config.encoderLayers, config: config,
                                         compute: compute)
                let labelRows: Matrix
                do {
                    labelRows = try task.model.headRows(task.labelTokenIds)
                } catch {
                    throw TrainError.model(error)
                }
                taskHead = VerbaliserHead(finalNorm: task.model.headNorm, labelRows: labelRows, eps: config.layerNormEps,
                                          answer: .decoder(0))
                classifier = nil
            }
        } catch let error as TrainError {
            throw failure("\(bundle): \(error)")
        }
        guard mux >= 2, d % mux == 0 else { throw ValidationError("--mux must be at least 2 and divide the width \(d)") }
        let adapters = TrainableAdapters(hidden: d, width: mux, seed: data.seed)
        let objective = AdapterObjective(adapters: adapters, encoder: encoder, head: taskHead, compute: compute)
        switch setup.backbone {
        case .bert: break   // the paper's 0.25, the objective's default
        case .llama, .t5: objective.infoNCEWeight = 0.5
        }
        if let infoNCEWeight { objective.infoNCEWeight = infoNCEWeight }
        objective.cosineWeight = cosineWeight
        let states = setup.states, labels = setup.allLabels, trainCount = setup.train.count
        let optimizer = AdamW(parameters: adapters.parameters, learningRate: options.lr)
        let loop = options.loop(seed: data.seed, progressEvery: 40)
        let saved = adapters.parameters + (classifier?.parameters ?? []) + tuned
        let resume = try options.resumed(adapters.parameters, optimizer)
        let best = try loop.run(
            parameters: adapters.parameters, optimizer: optimizer, trainCount: trainCount, resume: resume,
            step: { queries in
                let (loss, _) = objective.evaluate(states.batch(queries, labels: labels), backward: true)
                return (loss.total, loss.correct)
            },
            devAccuracy: { setup.devAccuracy(batch: options.batch) { objective.evaluate($0, backward: false).0.correct } },
            epochDone: { (state, isBest) throws(TrainError) in
                try options.save(state, isBest: isBest, parameters: adapters.parameters, optimizer: optimizer, output: saved,
                                 dtype: f16 ? .f16 : .f32)
            },
            progress: { printProgress($0, total: trainCount) })
        var stderr = StandardError()
        print(String(format: "revmux: best dev accuracy (N = %d) %.2f%%; adapters written to %@", mux, 100 * best, options.output),
              to: &stderr)
        if let into { try add(to: into, verbaliser: setup.backbone.verbaliserTask) }
    }

    /// Refuses an --into that would fail only after training: an unreadable bundle, a bad or
    /// taken task name.
    private func checkTarget(_ target: String) throws {
        guard RevmuxSection.isValidName(task) else {
            throw ValidationError("--task \"\(task)\" must be 1-64 letters, digits, '_' or '-'")
        }
        let bundle: BundleFile
        do {
            bundle = try BundleFile(path: target)
        } catch {
            throw fail(error)
        }
        guard !bundle.manifest.tasks.contains(where: { $0.name == task }) else {
            throw ValidationError("\(target) already has a task named \"\(task)\": choose another name with --task")
        }
    }

    /// Adds the written task to `target`, copying the rest of that bundle byte for byte.
    private func add(to target: String, verbaliser: RevmuxSection?) throws {
        let added = TaskOptions(name: task, muxWidth: mux, prefillLayers: prefillLayers, labels: data.labelList,
                                labelWords: verbaliser?.labelWords ?? [], template: verbaliser?.template, source: .file(options.output))
        do {
            _ = try Converter.convert(target, to: target, dtype: .keep, overwrite: true, task: added)
        } catch {
            printError(error.description)
            throw ExitCode(error.isIOFailure ? Sysexits.ioError : Sysexits.dataError)
        }
        var stderr = StandardError()
        print("revmux: task \"\(task)\" added to \(target)", to: &stderr)
    }

    /// head.classifier from `--head`, as a frozen-by-convention TrainableLinear (saved with the adapters).
    private func readHead(_ file: SafetensorsFile, path head: String, labels: Int, hidden: Int) throws -> TrainableLinear {
        func load(_ name: String, _ shape: [Int]) throws -> Matrix {
            guard let view = file.tensor(named: name) else { throw failure("\(head): no tensor \"\(name)\" (revmux train head writes it)") }
            guard view.shape == shape else { throw failure("\(head): \(name) has shape \(view.shape), expected \(shape)") }
            do {
                return try Matrix(view)
            } catch {
                throw failure("\(head): \(name): \(error)")
            }
        }
        return TrainableLinear(name: "head.classifier", weight: try load("head.classifier.weight", [labels, hidden]),
                               bias: try load("head.classifier.bias", [labels]))
    }
}
