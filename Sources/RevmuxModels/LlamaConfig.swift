import RevmuxBundle
import RevmuxCompute

/// Hyper-parameters of a LLaMA decoder, from a bundle's manifest config.
public struct LlamaConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var kvHeads: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var contextLength: Int
    public var ropeTheta: Float
    public var rmsNormEps: Float
    public var ropeLayout: RopeLayout
    public var tiedEmbeddings: Bool

    public init(_ config: [String: ConfigValue]) throws(ModelError) {
        func int(_ key: String) throws(ModelError) -> Int {
            guard case .int(let value)? = config[key], value > 0 else { throw .config("\(key) missing or not a positive integer") }
            return value
        }
        func positive(_ key: String) throws(ModelError) -> Float {
            let value: Double
            switch config[key] {
            case .double(let v)?: value = v
            case .int(let v)?: value = Double(v)
            default: throw .config("\(key) missing or not a number")
            }
            guard value > 0, value.isFinite else { throw .config("\(key) is \(value), expected a positive number") }
            return Float(value)
        }
        hiddenSize = try int("hidden_size")
        layers = try int("layers")
        heads = try int("heads")
        kvHeads = try int("kv_heads")
        intermediateSize = try int("intermediate_size")
        vocabularySize = try int("vocab_size")
        contextLength = try int("context_length")
        ropeTheta = try positive("rope_theta")
        rmsNormEps = try positive("rms_norm_eps")
        guard case .string(let layout)? = config["rope_layout"], let ropeLayout = RopeLayout(rawValue: layout) else {
            throw .config("rope_layout missing or not \"halves\" or \"interleaved\"")
        }
        self.ropeLayout = ropeLayout
        guard case .bool(let tied)? = config["tied_embeddings"] else { throw .config("tied_embeddings missing or not a boolean") }
        tiedEmbeddings = tied
        guard hiddenSize % heads == 0 else { throw .config("hidden_size \(hiddenSize) is not a multiple of heads \(heads)") }
        guard heads % kvHeads == 0 else { throw .config("heads \(heads) is not a multiple of kv_heads \(kvHeads)") }
        guard headSize % 2 == 0 else { throw .config("head size \(headSize) is odd; rotary embeddings need pairs") }
    }

    public var headSize: Int { hiddenSize / heads }
    /// Width of the K and V projections: kv_heads · head size.
    public var kvSize: Int { kvHeads * headSize }
}
