import RevmuxTensors

/// The backbone families a bundle can hold.
public enum Family: String, Sendable, Codable, CaseIterable {
    case bert, t5, llama
}

/// One tensor of the data section. `offset` is relative to the data section.
public struct BundleTensor: Equatable, Sendable {
    public var name: String
    public var type: TensorType
    public var shape: [Int]
    public var offset: Int
    public var length: Int
    public var crc32: UInt32
}

/// A byte blob of the data section (the tokenizer), possibly zlib-compressed.
public struct BundleBlob: Equatable, Sendable {
    public var offset: Int
    public var storedLength: Int
    public var length: Int
    public var crc32: UInt32
    public var compressed: Bool
}

public struct TokenizerRecord: Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// A Hugging Face tokenizer.json, as the source had it.
        case tokenizerJSON = "tokenizer.json"
        /// A GGUF file holding only the source model's `tokenizer.*` metadata.
        case gguf
    }

    public var kind: Kind
    public var blob: BundleBlob
}

/// One RevMUX task: how queries are multiplexed and what the head predicts. A bundle can
/// carry several over one copy of the backbone; each task's tensors are named
/// `task.<name>.` followed by their canonical name (schemas/bundle.md).
public struct RevmuxSection: Equatable, Sendable {
    public var name: String
    public var muxWidth: Int
    public var prefillLayers: Int
    public var labels: [String]
    public var labelWords: [String]
    public var template: String?
    /// Names of the adapter and head tensors, which are also in `tensors`.
    public var adapterTensors: [String]
    /// True for adapters made by `--init-adapters`: random, for testing only.
    public var untrained: Bool

    public init(name: String, muxWidth: Int, prefillLayers: Int, labels: [String], labelWords: [String], template: String?,
                adapterTensors: [String], untrained: Bool) {
        self.name = name
        self.muxWidth = muxWidth
        self.prefillLayers = prefillLayers
        self.labels = labels
        self.labelWords = labelWords
        self.template = template
        self.adapterTensors = adapterTensors
        self.untrained = untrained
    }

    /// The prefix of this task's tensor names.
    public var tensorPrefix: String { Self.tensorPrefix(name) }

    public static func tensorPrefix(_ name: String) -> String { "task.\(name)." }

    /// Task names are short identifiers: they appear in tensor names and on command lines.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
    }
}

public struct SourceFile: Equatable, Sendable {
    public var path: String
    public var sha256: String

    public init(path: String, sha256: String) {
        self.path = path
        self.sha256 = sha256
    }
}

public struct Provenance: Equatable, Sendable {
    public var sources: [SourceFile]
    public var converter: String
    public var created: String

    public init(sources: [SourceFile], converter: String, created: String) {
        self.sources = sources
        self.converter = converter
        self.created = created
    }
}

/// A configuration value: hyper-parameters are numbers, strings or flags.
public enum ConfigValue: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case string(String)
    case bool(Bool)
}

/// Everything the manifest says (schemas/bundle.schema.json).
public struct BundleManifest: Equatable, Sendable {
    public var family: Family
    public var config: [String: ConfigValue]
    public var tensors: [BundleTensor]
    public var tokenizer: TokenizerRecord?
    /// The RevMUX tasks, in the order they were added; names are distinct.
    public var tasks: [RevmuxSection]
    public var provenance: Provenance

    public init(family: Family, config: [String: ConfigValue], tensors: [BundleTensor], tokenizer: TokenizerRecord?,
                tasks: [RevmuxSection], provenance: Provenance) {
        self.family = family
        self.config = config
        self.tensors = tensors
        self.tokenizer = tokenizer
        self.tasks = tasks
        self.provenance = provenance
    }
}
