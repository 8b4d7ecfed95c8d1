import RevmuxBundle
import RevmuxCompute

/// The feed-forward activations T5 checkpoints use.
public enum T5Activation: String, Sendable {
    case relu
    /// The exact (erf) GELU.
    case gelu
    /// The tanh approximation, transformers' gelu_new: T5 v1.1 / Flan-T5's "gated-gelu".
    case geluTanh = "gelu_new"

    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu: reluInPlace(x, count: count)
        case .gelu: geluInPlace(x, count: count)
        case .geluTanh: geluTanhInPlace(x, count: count)
        }
    }
}

/// Hyper-parameters of a T5 encoder-decoder, from a bundle's manifest config (schemas/bundle.md).
public struct T5Config: Sendable, Equatable {
    public var hiddenSize: Int
    public var headSize: Int
    public var heads: Int
    public var intermediateSize: Int
    public var encoderLayers: Int
    public var decoderLayers: Int
    public var vocabularySize: Int
    public var relativeBuckets: Int
    public var relativeMaxDistance: Int
    public var activation: T5Activation
    public var gated: Bool
    /// Original T5's convention: the decoder output is scaled by hidden_size^-0.5 before the
    /// head (the shared embedding, when the bundle has no head.weight).
    public var tiedEmbeddings: Bool
    public var layerNormEps: Float
    public var decoderStartTokenId: Int32
    public var padTokenId: Int32
    public var eosTokenId: Int32

    public init(_ config: [String: ConfigValue]) throws(ModelError) {
        func int(_ key: String, minimum: Int = 1) throws(ModelError) -> Int {
            guard case .int(let value)? = config[key], value >= minimum else {
                throw .config("\(key) missing or not an integer of at least \(minimum)")
            }
            return value
        }
        hiddenSize = try int("hidden_size")
        headSize = try int("head_size")
        heads = try int("heads")
        intermediateSize = try int("intermediate_size")
        encoderLayers = try int("layers")
        decoderLayers = try int("decoder_layers")
        vocabularySize = try int("vocab_size")
        relativeBuckets = try int("relative_buckets", minimum: 4)
        relativeMaxDistance = try int("relative_max_distance")
        guard case .string(let name)? = config["activation"], let activation = T5Activation(rawValue: name) else {
            throw .config("activation missing or not one of relu, gelu, gelu_new")
        }
        self.activation = activation
        guard case .bool(let gated)? = config["gated"] else { throw .config("gated missing or not a boolean") }
        self.gated = gated
        guard case .bool(let tied)? = config["tied_embeddings"] else { throw .config("tied_embeddings missing or not a boolean") }
        tiedEmbeddings = tied
        switch config["layer_norm_eps"] {
        case .double(let eps)?: layerNormEps = Float(eps)
        case .int(let eps)?: layerNormEps = Float(eps)
        default: layerNormEps = 1e-6
        }
        decoderStartTokenId = Int32(try int("decoder_start_token_id", minimum: 0))
        padTokenId = Int32(try int("pad_token_id", minimum: 0))
        eosTokenId = Int32(try int("eos_token_id", minimum: 0))
    }

    /// Width of the attention's concatenated heads; not always hidden_size (T5-11B).
    public var innerSize: Int { heads * headSize }
}
