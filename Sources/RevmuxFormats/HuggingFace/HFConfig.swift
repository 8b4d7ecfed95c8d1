import RevmuxJSON

/// The architecture summary of a Hugging Face `config.json`.
///
/// Families spell the same hyper-parameter differently (BERT `hidden_size`, T5 `d_model`,
/// GPT-2 `n_embd`); each property reads the first spelling present.
public struct HFConfig: Sendable {
    /// The whole config object, for family-specific hyper-parameters.
    public let json: JSONValue

    public init(_ json: JSONValue) {
        self.json = json
    }

    public var modelType: String? { json["model_type"]?.string }
    public var architectures: [String] { json["architectures"]?.array?.compactMap(\.string) ?? [] }
    public var hiddenSize: Int? { int("hidden_size", "d_model", "n_embd") }
    public var layerCount: Int? { int("num_hidden_layers", "num_layers", "n_layer") }
    public var decoderLayerCount: Int? { int("num_decoder_layers") }
    public var attentionHeads: Int? { int("num_attention_heads", "num_heads", "n_head") }
    public var keyValueHeads: Int? { int("num_key_value_heads") }
    public var intermediateSize: Int? { int("intermediate_size", "d_ff", "n_inner") }
    public var vocabularySize: Int? { int("vocab_size") }
    public var maxPositions: Int? { int("max_position_embeddings", "n_positions") }

    private func int(_ keys: String...) -> Int? {
        keys.lazy.compactMap { self.json[$0]?.int }.first
    }
}

public enum HFConfigProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case notJSON(JSONError)
    case notObject

    public var description: String {
        switch self {
        case .notJSON(let error): "config.json is not valid JSON: \(error)"
        case .notObject: "config.json must be a JSON object"
        }
    }
}
