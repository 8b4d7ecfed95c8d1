import RevmuxTensors

/// What `revmux inspect` reports about a model file or folder. Building it reads
/// headers only; no tensor data is touched.
///
/// Its JSON encoding is described by `schemas/inspect.schema.json`; keep them in step.
public struct Inspection: Encodable, Sendable {
    public enum Format: String, Encodable, Sendable {
        case safetensors
        case safetensorsSharded = "safetensors-sharded"
        case huggingFace = "huggingface-folder"
        case gguf
        case bundle = "revmux-bundle"
    }

    public let schema = "revmux.inspect/1"
    public let path: String
    public let format: Format
    /// GGUF version; nil for the other formats.
    public let version: Int?
    public let model: ModelSummary?
    /// Tokenizer files (Hugging Face folder) or the GGUF tokenizer model name.
    public let tokenizer: [String]
    public let metadata: [MetadataItem]
    /// Files that hold the tensors, when there are several.
    public let shards: [String]
    public let summary: TensorSummary
    public let tensors: [TensorItem]

    /// A report assembled by another module (the bundle reader).
    public init(path: String, format: Format, version: Int?, model: ModelSummary?, tokenizer: [String],
                metadata: [MetadataItem], tensors: [TensorItem]) {
        self.path = path
        self.format = format
        self.version = version
        self.model = model
        self.tokenizer = tokenizer
        self.metadata = metadata
        self.shards = []
        self.tensors = tensors
        summary = TensorSummary(tensors)
    }

    public init(_ source: ModelSource, path: String) {
        self.path = path
        switch source {
        case .safetensors(let file):
            format = .safetensors
            version = nil
            model = nil
            tokenizer = []
            metadata = MetadataItem.strings(file.layout.metadata)
            shards = []
            tensors = file.tensors.map { TensorItem($0, file: nil) }
        case .shardedSafetensors(let sharded):
            format = .safetensorsSharded
            version = nil
            model = nil
            tokenizer = []
            metadata = []
            shards = sharded.shards.map(\.path)
            tensors = sharded.tensors.map { TensorItem($0.entry, file: $0.shard.path) }
        case .huggingFaceFolder(let folder):
            format = .huggingFace
            version = nil
            model = ModelSummary(folder.config)
            tokenizer = folder.tokenizerFiles
            switch folder.weights {
            case .single(let file):
                metadata = MetadataItem.strings(file.layout.metadata)
                shards = [file.path]
                tensors = file.tensors.map { TensorItem($0, file: nil) }
            case .sharded(let sharded):
                metadata = []
                shards = sharded.shards.map(\.path)
                tensors = sharded.tensors.map { TensorItem($0.entry, file: $0.shard.path) }
            }
        case .gguf(let file):
            format = .gguf
            version = Int(file.layout.version)
            model = ModelSummary(file.layout)
            tokenizer = file.layout.value("tokenizer.ggml.model")?.stringValue.map { [$0] } ?? []
            metadata = file.layout.metadata.map { MetadataItem(key: $0.key, value: $0.value) }
            shards = []
            tensors = file.tensors.map { TensorItem($0, file: nil) }
        }
        summary = TensorSummary(tensors)
    }
}

/// The architecture as the config or metadata declares it.
public struct ModelSummary: Encodable, Sendable {
    public let architecture: String?
    public let modelType: String?
    public let hiddenSize: Int?
    public let layers: Int?
    public let decoderLayers: Int?
    public let attentionHeads: Int?
    public let keyValueHeads: Int?
    public let intermediateSize: Int?
    public let vocabularySize: Int?
    public let contextLength: Int?

    public init(architecture: String?, hiddenSize: Int?, layers: Int?, attentionHeads: Int?, keyValueHeads: Int?,
                intermediateSize: Int?, vocabularySize: Int?, contextLength: Int?) {
        self.architecture = architecture
        modelType = nil
        self.hiddenSize = hiddenSize
        self.layers = layers
        decoderLayers = nil
        self.attentionHeads = attentionHeads
        self.keyValueHeads = keyValueHeads
        self.intermediateSize = intermediateSize
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
    }

    init(_ config: HFConfig) {
        architecture = config.architectures.first
        modelType = config.modelType
        hiddenSize = config.hiddenSize
        layers = config.layerCount
        decoderLayers = config.decoderLayerCount
        attentionHeads = config.attentionHeads
        keyValueHeads = config.keyValueHeads
        intermediateSize = config.intermediateSize
        vocabularySize = config.vocabularySize
        contextLength = config.maxPositions
    }

    /// GGUF keeps hyper-parameters under `<architecture>.<name>`.
    init(_ layout: GGUFLayout) {
        let arch = layout.value("general.architecture")?.stringValue
        func int(_ name: String) -> Int? { arch.flatMap { layout.value("\($0).\(name)")?.intValue } }
        architecture = arch
        modelType = layout.value("general.name")?.stringValue
        hiddenSize = int("embedding_length")
        layers = int("block_count")
        decoderLayers = int("decoder_block_count")
        attentionHeads = int("attention.head_count")
        keyValueHeads = int("attention.head_count_kv")
        intermediateSize = int("feed_forward_length")
        vocabularySize = layout.value("tokenizer.ggml.tokens")?.arrayValue?.count ?? int("vocab_size")
        contextLength = int("context_length")
    }

    enum CodingKeys: String, CodingKey {
        case architecture, modelType = "model_type", hiddenSize = "hidden_size", layers
        case decoderLayers = "decoder_layers", attentionHeads = "attention_heads"
        case keyValueHeads = "key_value_heads", intermediateSize = "intermediate_size"
        case vocabularySize = "vocabulary_size", contextLength = "context_length"
    }
}

public struct TensorItem: Encodable, Sendable {
    public let name: String
    public let type: String
    public let shape: [Int]
    public let offset: Int
    public let bytes: Int
    public let file: String?

    public init(_ entry: TensorEntry, file: String?) {
        name = entry.name
        type = entry.type.description
        shape = entry.shape
        offset = entry.byteRange.lowerBound
        bytes = entry.byteRange.count
        self.file = file
    }
}

public struct TensorSummary: Encodable, Sendable {
    public let count: Int
    public let parameters: Int
    public let bytes: Int
    /// Number of tensors of each type.
    public let types: [String: Int]

    init(_ tensors: [TensorItem]) {
        count = tensors.count
        parameters = tensors.reduce(0) { $0 + (elementCount(of: $1.shape) ?? 0) }
        bytes = tensors.reduce(0) { $0 + $1.bytes }
        types = tensors.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }
}
