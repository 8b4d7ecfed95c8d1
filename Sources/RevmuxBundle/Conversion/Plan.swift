import Foundation
import RevmuxFormats
import RevmuxJSON
import RevmuxTensors

/// What a conversion will write, worked out before any tensor data is read: the family,
/// its hyper-parameters, canonical tensor names and the tokenizer.
struct Plan {
    struct Item {
        let name: String
        let view: TensorView
    }

    let family: Family
    let config: [String: ConfigValue]
    let tensors: [Item]
    let tokenizerKind: TokenizerRecord.Kind
    let tokenizer: [UInt8]
    /// Files to hash into the provenance.
    let sources: [String]
    /// Provenance already hashed (a bundle source's own sources).
    var recordedSources: [SourceFile] = []
    /// Tasks already present (a bundle source's).
    var tasks: [RevmuxSection] = []

    init(_ source: ModelSource, path: String) throws(ConvertError) {
        switch source {
        case .huggingFaceFolder(let folder):
            try self.init(folder: folder)
        case .gguf(let file) where file.layout.value("general.architecture")?.stringValue == "t5":
            try self.init(t5GGUF: file)
        case .gguf(let file) where file.layout.value("general.architecture")?.stringValue == "bert":
            try self.init(bertGGUF: file)
        case .gguf(let file):
            try self.init(gguf: file)
        case .safetensors, .shardedSafetensors:
            throw .missingConfig("config.json: convert a Hugging Face model folder, not a bare weights file")
        }
    }

    private init(folder: HFModelFolder) throws(ConvertError) {
        let base = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
        let views: [TensorView]
        switch folder.weights {
        case .single(let file):
            views = file.tensors.map(file.file.tensor)
            sources = [base + "config.json", file.path, base + "tokenizer.json"]
        case .sharded(let sharded):
            views = sharded.tensors.map { $0.shard.file.tensor($0.entry) }
            sources = [base + "config.json", sharded.indexPath] + sharded.shards.map(\.path) + [base + "tokenizer.json"]
        }
        let config = folder.config
        switch config.modelType {
        case "bert":
            family = .bert
            self.config = try Self.bertConfig(config, folder: base)
            tensors = try Self.map(views, NameMapping.bert)
        case "llama":
            family = .llama
            var values = try Self.llamaConfig(config)
            values["rope_layout"] = .string("halves")
            tensors = try Self.map(views, NameMapping.llamaHF)
            values["tied_embeddings"] = .bool(!tensors.contains { $0.name == "head.weight" })
            self.config = values
        case "t5":
            family = .t5
            self.config = try Self.t5Config(config)
            tensors = try Self.map(views, NameMapping.t5)
        default:
            throw .unsupportedArchitecture(config.modelType ?? config.architectures.first ?? "unknown")
        }
        guard let bytes = FileManager.default.contents(atPath: base + "tokenizer.json") else {
            throw .missingTokenizer(folder.path)
        }
        tokenizerKind = .tokenizerJSON
        tokenizer = Array(bytes)
    }

    private init(gguf file: GGUFFile) throws(ConvertError) {
        let layout = file.layout
        let architecture = layout.value("general.architecture")?.stringValue ?? "unknown"
        guard architecture == "llama" else { throw .unsupportedArchitecture(architecture) }
        func int(_ key: String) throws(ConvertError) -> ConfigValue {
            guard let value = layout.value("llama.\(key)")?.intValue else { throw .missingConfig("llama.\(key)") }
            return .int(value)
        }
        func double(_ key: String) throws(ConvertError) -> ConfigValue {
            guard let value = layout.value("llama.\(key)")?.doubleValue else { throw .missingConfig("llama.\(key)") }
            return .double(value)
        }
        family = .llama
        tensors = try Self.map(file.tensors.map(file.file.tensor), NameMapping.llamaGGUF)
        let heads = try int("attention.head_count")
        config = [
            "hidden_size": try int("embedding_length"),
            "layers": try int("block_count"),
            "heads": heads,
            "kv_heads": (try? int("attention.head_count_kv")) ?? heads,
            "intermediate_size": try int("feed_forward_length"),
            "context_length": try int("context_length"),
            "vocab_size": .int(layout.value("tokenizer.ggml.tokens")?.arrayValue?.count ?? 0),
            "rope_theta": (try? double("rope.freq_base")) ?? .double(10000),
            "rms_norm_eps": try double("attention.layer_norm_rms_epsilon"),
            // llama.cpp permutes Q/K rows into interleaved rotary pairs when it writes GGUF.
            "rope_layout": .string("interleaved"),
            "tied_embeddings": .bool(!tensors.contains { $0.name == "head.weight" }),
        ]
        tokenizerKind = .gguf
        tokenizer = GGUFMetadataWriter.file(layout.metadata.filter { $0.key.hasPrefix("tokenizer.") || $0.key == "general.architecture" || $0.key == "general.name" })
        sources = [file.path]
    }

    /// A T5 GGUF as llama.cpp's convert_hf_to_gguf.py writes it. llama.cpp runs it with a
    /// gated GELU (tanh) feed-forward when ffn_gate exists, ReLU otherwise, a fixed maximum
    /// distance of 128, and no scaling before the head (output.weight, else token_embd): the
    /// bundle says the same, so it runs as llama.cpp runs it.
    private init(t5GGUF file: GGUFFile) throws(ConvertError) {
        let layout = file.layout
        func int(_ key: String) throws(ConvertError) -> ConfigValue {
            guard let value = layout.value(key)?.intValue else { throw .missingConfig(key) }
            return .int(value)
        }
        family = .t5
        tensors = try Self.map(file.tensors.map(file.file.tensor), NameMapping.t5GGUF)
        let gated = tensors.contains { $0.name.hasSuffix(".ffn.gate.weight") }
        let layers = try int("t5.block_count")
        guard let eps = layout.value("t5.attention.layer_norm_rms_epsilon")?.doubleValue else {
            throw .missingConfig("t5.attention.layer_norm_rms_epsilon")
        }
        config = [
            "hidden_size": try int("t5.embedding_length"),
            "head_size": try int("t5.attention.key_length"),
            "heads": try int("t5.attention.head_count"),
            "intermediate_size": try int("t5.feed_forward_length"),
            "layers": layers,
            "decoder_layers": (try? int("t5.decoder_block_count")) ?? layers,
            "vocab_size": .int(layout.value("tokenizer.ggml.tokens")?.arrayValue?.count ?? 0),
            "relative_buckets": try int("t5.attention.relative_buckets_count"),
            "relative_max_distance": .int(128),
            "activation": .string(gated ? "gelu_new" : "relu"),
            "gated": .bool(gated),
            "tied_embeddings": .bool(false),
            "layer_norm_eps": .double(eps),
            "decoder_start_token_id": (try? int("t5.decoder_start_token_id")) ?? .int(0),
            "pad_token_id": (try? int("tokenizer.ggml.padding_token_id")) ?? .int(0),
            "eos_token_id": (try? int("tokenizer.ggml.eos_token_id")) ?? .int(1),
        ]
        tokenizerKind = .gguf
        tokenizer = GGUFMetadataWriter.file(layout.metadata.filter { $0.key.hasPrefix("tokenizer.") || $0.key == "general.architecture" || $0.key == "general.name" })
        sources = [file.path]
    }

    /// A BERT GGUF as llama.cpp's convert_hf_to_gguf.py writes it: the same bundle as the
    /// Hugging Face folder, less the pooler, which llama.cpp drops. Two things the GGUF does not
    /// say are decided here (schemas/bundle.md): the activation stays the checkpoint's erf GELU
    /// (llama.cpp computes the tanh form), and a model with a pooling type is normalised, as
    /// llama.cpp's embedding tools normalise by default.
    private init(bertGGUF file: GGUFFile) throws(ConvertError) {
        let layout = file.layout
        func int(_ key: String) throws(ConvertError) -> ConfigValue {
            guard let value = layout.value(key)?.intValue else { throw .missingConfig(key) }
            return .int(value)
        }
        if layout.value("bert.attention.causal")?.boolValue == true {
            throw .unsupportedSetting("bert.attention.causal is true: revmux runs BERT encoders bidirectionally only")
        }
        guard let eps = layout.value("bert.attention.layer_norm_epsilon")?.doubleValue else {
            throw .missingConfig("bert.attention.layer_norm_epsilon")
        }
        family = .bert
        tensors = try Self.map(file.tensors.map(file.file.tensor), NameMapping.bertGGUF)
        var values: [String: ConfigValue] = [
            "hidden_size": try int("bert.embedding_length"),
            "layers": try int("bert.block_count"),
            "heads": try int("bert.attention.head_count"),
            "intermediate_size": try int("bert.feed_forward_length"),
            "vocab_size": .int(layout.value("tokenizer.ggml.tokens")?.arrayValue?.count ?? 0),
            "max_positions": try int("bert.context_length"),
            // The converter writes type_vocab_size here; without it, token_types' rows say it.
            "type_vocab_size": (try? int("tokenizer.ggml.token_type_count"))
                ?? .int(tensors.first { $0.name == "embed.token_types" }?.view.shape.first ?? 2),
            "layer_norm_eps": .double(eps),
            "activation": .string("gelu"),
        ]
        // llama.cpp's pooling types: 0 none (our default, mean), 1 mean, 2 cls, 3 last, 4 rank.
        switch layout.value("bert.pooling_type")?.intValue {
        case nil, 0?:
            break
        case 1?:
            values["pooling"] = .string("mean")
            values["normalize"] = .bool(true)
        case 2?:
            values["pooling"] = .string("cls")
            values["normalize"] = .bool(true)
        case let other?:
            throw .unsupportedSetting("bert.pooling_type \(other) (last token or rank): revmux pools BERT by mean or [CLS] only")
        }
        config = values
        tokenizerKind = .gguf
        tokenizer = GGUFMetadataWriter.file(layout.metadata.filter { $0.key.hasPrefix("tokenizer.") || $0.key == "general.architecture" || $0.key == "general.name" })
        sources = [file.path]
    }

    private static func map(_ views: [TensorView], _ mapping: NameMapping) throws(ConvertError) -> [Item] {
        var items: [Item] = []
        for view in views {
            if let name = try mapping.canonical(view.name) { items.append(Item(name: name, view: view)) }
        }
        return items
    }

    private static func bertConfig(_ config: HFConfig, folder: String) throws(ConvertError) -> [String: ConfigValue] {
        func int(_ value: Int?, _ key: String) throws(ConvertError) -> ConfigValue {
            guard let value else { throw .missingConfig(key) }
            return .int(value)
        }
        var values: [String: ConfigValue] = [
            "hidden_size": try int(config.hiddenSize, "hidden_size"),
            "layers": try int(config.layerCount, "num_hidden_layers"),
            "heads": try int(config.attentionHeads, "num_attention_heads"),
            "intermediate_size": try int(config.intermediateSize, "intermediate_size"),
            "vocab_size": try int(config.vocabularySize, "vocab_size"),
            "max_positions": try int(config.maxPositions, "max_position_embeddings"),
            "type_vocab_size": .int(config.json["type_vocab_size"]?.int ?? 2),
            "layer_norm_eps": .double(config.json["layer_norm_eps"]?.double ?? 1e-12),
            "activation": .string(config.json["hidden_act"]?.string ?? "gelu"),
        ]
        // sentence-transformers folders declare how embeddings are pooled and normalised.
        let pooling = (try? readJSONFile(folder + "1_Pooling/config.json"))?.root
        if pooling?["pooling_mode_mean_tokens"]?.bool == true {
            values["pooling"] = .string("mean")
        } else if pooling?["pooling_mode_cls_token"]?.bool == true {
            values["pooling"] = .string("cls")
        }
        if let modules = FileManager.default.contents(atPath: folder + "modules.json") {
            values["normalize"] = .bool(String(decoding: modules, as: UTF8.self).contains("sentence_transformers.models.Normalize"))
        }
        return values
    }

    private static func llamaConfig(_ config: HFConfig) throws(ConvertError) -> [String: ConfigValue] {
        func int(_ value: Int?, _ key: String) throws(ConvertError) -> ConfigValue {
            guard let value else { throw .missingConfig(key) }
            return .int(value)
        }
        let heads = try int(config.attentionHeads, "num_attention_heads")
        return [
            "hidden_size": try int(config.hiddenSize, "hidden_size"),
            "layers": try int(config.layerCount, "num_hidden_layers"),
            "heads": heads,
            "kv_heads": config.keyValueHeads.map(ConfigValue.int) ?? heads,
            "intermediate_size": try int(config.intermediateSize, "intermediate_size"),
            "vocab_size": try int(config.vocabularySize, "vocab_size"),
            "context_length": try int(config.maxPositions, "max_position_embeddings"),
            "rope_theta": .double(config.json["rope_theta"]?.double ?? 10000),
            "rms_norm_eps": .double(config.json["rms_norm_eps"]?.double ?? 1e-6),
        ]
    }

    /// T5 and T5 v1.1 / Flan-T5. `layers` counts the encoder's layers, the stack that RevMUX
    /// multiplexes; the decoder's are `decoder_layers`.
    private static func t5Config(_ config: HFConfig) throws(ConvertError) -> [String: ConfigValue] {
        func int(_ value: Int?, _ key: String) throws(ConvertError) -> ConfigValue {
            guard let value else { throw .missingConfig(key) }
            return .int(value)
        }
        let json = config.json
        let layers = try int(config.layerCount, "num_layers")
        // "relu", "gelu", "gated-gelu", "gated-silu", ...: an optional "gated-" and the activation.
        // transformers runs "gated-gelu" with gelu_new (tanh) for compatibility with v1.1.
        let projection = json["feed_forward_proj"]?.string ?? "relu"
        let gated = projection.hasPrefix("gated-")
        let activation = projection == "gated-gelu" ? "gelu_new" : String(projection.dropFirst(gated ? 6 : 0))
        return [
            "hidden_size": try int(config.hiddenSize, "d_model"),
            "head_size": try int(json["d_kv"]?.int, "d_kv"),
            "heads": try int(config.attentionHeads, "num_heads"),
            "intermediate_size": try int(config.intermediateSize, "d_ff"),
            "layers": layers,
            "decoder_layers": config.decoderLayerCount.map(ConfigValue.int) ?? layers,
            "vocab_size": try int(config.vocabularySize, "vocab_size"),
            "relative_buckets": .int(json["relative_attention_num_buckets"]?.int ?? 32),
            "relative_max_distance": .int(json["relative_attention_max_distance"]?.int ?? 128),
            "activation": .string(activation),
            "gated": .bool(gated),
            // Original T5 omits the key and ties; v1.1 and Flan-T5 say false. Tied models scale
            // the decoder output by d_model^-0.5 before the head.
            "tied_embeddings": .bool(json["tie_word_embeddings"]?.bool ?? true),
            "layer_norm_eps": .double(json["layer_norm_epsilon"]?.double ?? 1e-6),
            "decoder_start_token_id": .int(json["decoder_start_token_id"]?.int ?? json["pad_token_id"]?.int ?? 0),
            "pad_token_id": .int(json["pad_token_id"]?.int ?? 0),
            "eos_token_id": .int(json["eos_token_id"]?.int ?? 1),
        ]
    }
}
