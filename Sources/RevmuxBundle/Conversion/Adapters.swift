import RevmuxFormats
import RevmuxTensors

/// The RevMUX task to embed: how queries are multiplexed, what the head predicts, and
/// where the trained tensors come from.
public struct TaskOptions: Sendable {
    public enum Source: Sendable {
        /// Trained tensors in a safetensors file, named as `AdapterLayout` lists.
        case file(String)
        /// Deterministic random tensors (and a random head when the model has none), for tests.
        case random(seed: UInt64)
    }

    /// The task's name in the bundle (`revmux run --task NAME`).
    public var name: String
    public var muxWidth: Int
    public var prefillLayers: Int
    public var labels: [String]
    public var labelWords: [String]
    public var template: String?
    public var source: Source

    public init(name: String = TaskOptions.defaultName, muxWidth: Int, prefillLayers: Int, labels: [String], labelWords: [String],
                template: String?, source: Source) {
        self.name = name
        self.muxWidth = muxWidth
        self.prefillLayers = prefillLayers
        self.labels = labels
        self.labelWords = labelWords
        self.template = template
        self.source = source
    }

    /// The name of a task converted without one.
    public static let defaultName = "default"
}

/// Names and shapes of the RevMUX tensors for width d, mux width N, k = d / N
/// (../shared/revmux-method.md; schemas/bundle.md). All f32, `[out, in]` like PyTorch.
public struct AdapterLayout: Sendable {
    public let hidden: Int
    public let muxWidth: Int
    public let labels: Int
    /// BERT-style models classify with a head over the pooled state; T5 and LLaMA use label words.
    public let needsClassifier: Bool

    public var reduced: Int { hidden / muxWidth }

    public var tensors: [(name: String, shape: [Int])] {
        let d = hidden, k = reduced
        var list: [(String, [Int])] = [("revmux.down.weight", [k, d]), ("revmux.down.bias", [k])]
        for n in 0..<muxWidth {
            list += [("revmux.mux.\(n).fc1.weight", [d, k]), ("revmux.mux.\(n).fc1.bias", [d]),
                     ("revmux.mux.\(n).fc2.weight", [k, d]), ("revmux.mux.\(n).fc2.bias", [k])]
        }
        list += [("revmux.up.fc1.weight", [3 * d, k]), ("revmux.up.fc1.bias", [3 * d]),
                 ("revmux.up.fc2.weight", [3 * d, 3 * d]), ("revmux.up.fc2.bias", [3 * d]),
                 ("revmux.up.fc3.weight", [d, 3 * d]), ("revmux.up.fc3.bias", [d])]
        if needsClassifier {
            list += [("head.classifier.weight", [labels, d]), ("head.classifier.bias", [labels])]
        }
        return list
    }
}

/// SplitMix64: a tiny, well-mixed generator whose stream is fixed by its seed on every platform.
/// It is the stream `--init-adapters` draws from, and training draws its own from it too.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [-bound, bound), from the top 24 bits (exact in f32).
    public mutating func uniform(_ bound: Float) -> Float {
        Float(next() >> 40) / Float(1 << 24) * 2 * bound - bound
    }
}

extension AdapterLayout {
    /// PyTorch's default Linear initialisation bounds: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    /// for weights and biases alike, fan_in being the input width of the layer.
    func randomValues(seed: UInt64) -> [(name: String, shape: [Int], values: [Float])] {
        var generator = SplitMix64(seed: seed)
        var fanIn = 0
        return tensors.map { name, shape in
            if name.hasSuffix(".weight") { fanIn = shape[1] }
            let bound = 1 / Float(fanIn).squareRoot()
            let values = (0..<shape.reduce(1, *)).map { _ in generator.uniform(bound) }
            return (name, shape, values)
        }
    }
}

/// The adapter tensors of a task, checked against the backbone and ready to write.
struct AdapterTensors {
    let tensors: [(name: String, shape: [Int], values: [Float])]
    let section: RevmuxSection
    let sourcePath: String?

    init(_ task: TaskOptions, plan: Plan) throws(ConvertError) {
        guard RevmuxSection.isValidName(task.name) else {
            throw .task("the name \"\(task.name)\" must be 1-64 letters, digits, '_' or '-'")
        }
        guard !plan.tasks.contains(where: { $0.name == task.name }) else {
            throw .task("the bundle already has a task named \"\(task.name)\": choose another name with --task")
        }
        guard case .int(let hidden) = plan.config["hidden_size"], case .int(let layers) = plan.config["layers"] else {
            throw .missingConfig("hidden_size and layers")
        }
        guard task.muxWidth >= 2 else { throw .task("--mux must be at least 2, got \(task.muxWidth)") }
        guard hidden % task.muxWidth == 0 else {
            throw .task("the hidden width \(hidden) does not divide by the mux width \(task.muxWidth)")
        }
        guard task.prefillLayers < layers else {
            throw .task("--prefill-layers must be below the \(layers) layers, got \(task.prefillLayers)")
        }
        guard !task.labels.isEmpty, Set(task.labels).count == task.labels.count else {
            throw .task("--labels needs at least one label, each once")
        }
        let needsClassifier = plan.family == .bert
        guard needsClassifier || task.labelWords.count == task.labels.count else {
            throw .task("\(plan.family.rawValue) classifies through label words: give one per label with --label-words")
        }
        guard task.labelWords.isEmpty || task.labelWords.count == task.labels.count else {
            throw .task("--label-words has \(task.labelWords.count) words for \(task.labels.count) labels")
        }
        let layout = AdapterLayout(hidden: hidden, muxWidth: task.muxWidth, labels: task.labels.count, needsClassifier: needsClassifier)
        let canonical: [(name: String, shape: [Int], values: [Float])]
        switch task.source {
        case .random(let seed):
            canonical = layout.randomValues(seed: seed)
            sourcePath = nil
        case .file(let path):
            canonical = try Self.read(path, layout, backbone: plan.tensors)
            sourcePath = path
        }
        let prefix = RevmuxSection.tensorPrefix(task.name)
        tensors = canonical.map { (prefix + $0.name, $0.shape, $0.values) }
        var untrained = false
        if case .random = task.source { untrained = true }
        section = RevmuxSection(
            name: task.name, muxWidth: task.muxWidth, prefillLayers: task.prefillLayers, labels: task.labels,
            labelWords: task.labelWords, template: task.template, adapterTensors: tensors.map(\.name), untrained: untrained)
    }

    /// Every expected tensor, with its exact shape, as f32; besides them only tuned
    /// backbone tensors (`revmux train head --tune-layers`), each named and shaped as the
    /// backbone's own, which the task then uses in their place.
    private static func read(_ path: String, _ layout: AdapterLayout, backbone: [Plan.Item])
        throws(ConvertError) -> [(name: String, shape: [Int], values: [Float])] {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(path: path)
        } catch {
            throw .adapterFile(error)
        }
        let expected = layout.tensors
        let names = Set(expected.map(\.name))
        let backboneShapes = Dictionary(backbone.map { ($0.name, $0.view.shape) }) { first, _ in first }
        var tuned: [(String, [Int])] = []
        for tensor in file.tensors where !names.contains(tensor.name) {
            guard let shape = backboneShapes[tensor.name] else {
                throw .task("\(path): unexpected tensor \"\(tensor.name)\" (expected: \(expected.map(\.name).joined(separator: ", ")), and tuned backbone tensors)")
            }
            guard tensor.shape == shape else {
                throw .task("\(path): tuned \"\(tensor.name)\" has shape \(tensor.shape), the backbone's is \(shape)")
            }
            tuned.append((tensor.name, shape))
        }
        var result: [(name: String, shape: [Int], values: [Float])] = []
        for (name, shape) in expected + tuned {
            guard let view = file.tensor(named: name) else { throw .task("\(path): missing tensor \"\(name)\"") }
            guard view.shape == shape else { throw .task("\(path): \"\(name)\" has shape \(view.shape), expected \(shape)") }
            do {
                result.append((name, shape, try view.floats()))
            } catch {
                throw .task("\(path): \"\(name)\" is \(view.type), not a float type")
            }
        }
        return result
    }
}
