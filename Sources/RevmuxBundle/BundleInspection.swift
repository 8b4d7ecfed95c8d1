import RevmuxFormats

extension Inspection {
    /// The `inspect` report of a bundle: its manifest as metadata, then its tensors.
    public init(bundle: BundleFile) {
        let manifest = bundle.manifest
        func int(_ key: String) -> Int? {
            if case .int(let value) = manifest.config[key] { value } else { nil }
        }
        var metadata: [MetadataItem] = [MetadataItem(key: "family", value: .string(manifest.family.rawValue))]
        for (key, value) in manifest.config.sorted(by: { $0.key < $1.key }) {
            let item: GGUFValue = switch value {
            case .int(let v): .int64(Int64(v))
            case .double(let v): .float64(v)
            case .string(let v): .string(v)
            case .bool(let v): .bool(v)
            }
            metadata.append(MetadataItem(key: "config.\(key)", value: item))
        }
        if let tokenizer = manifest.tokenizer {
            metadata.append(MetadataItem(key: "tokenizer.kind", value: .string(tokenizer.kind.rawValue)))
            metadata.append(MetadataItem(key: "tokenizer.bytes", value: .int64(Int64(tokenizer.blob.length))))
        }
        for task in manifest.tasks {
            let key = "tasks.\(task.name)."
            metadata.append(MetadataItem(key: key + "mux_width", value: .int64(Int64(task.muxWidth))))
            metadata.append(MetadataItem(key: key + "prefill_layers", value: .int64(Int64(task.prefillLayers))))
            metadata.append(MetadataItem(key: key + "labels", value: .array(.string(task.labels))))
            if !task.labelWords.isEmpty {
                metadata.append(MetadataItem(key: key + "label_words", value: .array(.string(task.labelWords))))
            }
            if let template = task.template { metadata.append(MetadataItem(key: key + "template", value: .string(template))) }
            metadata.append(MetadataItem(key: key + "untrained", value: .bool(task.untrained)))
        }
        metadata.append(MetadataItem(key: "provenance.converter", value: .string(manifest.provenance.converter)))
        metadata.append(MetadataItem(key: "provenance.created", value: .string(manifest.provenance.created)))
        for source in manifest.provenance.sources {
            metadata.append(MetadataItem(key: "provenance.source", value: .string("\(source.path) sha256:\(source.sha256)")))
        }
        self.init(
            path: bundle.path, format: .bundle, version: Int(bundle.header.major),
            model: ModelSummary(
                architecture: manifest.family.rawValue, hiddenSize: int("hidden_size"), layers: int("layers"),
                attentionHeads: int("heads"), keyValueHeads: int("kv_heads"), intermediateSize: int("intermediate_size"),
                vocabularySize: int("vocab_size"), contextLength: int("context_length") ?? int("max_positions")),
            tokenizer: manifest.tokenizer.map { [$0.kind.rawValue] } ?? [],
            metadata: metadata,
            tensors: manifest.tensors.map { TensorItem(bundle.entry($0), file: nil) })
    }
}
