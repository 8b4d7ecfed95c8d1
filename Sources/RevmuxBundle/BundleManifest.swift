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

/// The RevMUX task section: how queries are multiplexed and what the head predicts.
public struct RevmuxSection: Equatable, Sendable {
    public var muxWidth: Int
    public var prefillLayers: Int
    public var labels: [String]
    public var labelWords: [String]
    public var template: String?
    /// Names of the adapter and head tensors, which are also in `tensors`.
    public var adapterTensors: [String]
    /// True for adapters made by `--init-adapters`: random, for testing only.
    public var untrained: Bool
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
    public var revmux: RevmuxSection?
    public var provenance: Provenance

    public init(family: Family, config: [String: ConfigValue], tensors: [BundleTensor], tokenizer: TokenizerRecord?,
                revmux: RevmuxSection?, provenance: Provenance) {
        self.family = family
        self.config = config
        self.tensors = tensors
        self.tokenizer = tokenizer
        self.revmux = revmux
        self.provenance = provenance
    }
}
