import Foundation
import RevmuxJSON
import RevmuxTensors

/// The manifest's JSON form: written with Foundation (sorted keys, so the same model
/// gives the same bytes), read in place with json-c like every other JSON input.
extension BundleManifest {
    static let formatName = "revmux-bundle"

    func jsonData() throws -> Data {
        var object: [String: Any] = [
            "format": Self.formatName,
            "family": family.rawValue,
            "config": config.mapValues(\.jsonObject),
            "tensors": tensors.map { tensor -> [String: Any] in
                ["name": tensor.name, "dtype": tensor.type.description, "shape": tensor.shape,
                 "offset": tensor.offset, "length": tensor.length, "crc32": Int(tensor.crc32)]
            },
            "provenance": [
                "sources": provenance.sources.map { ["path": $0.path, "sha256": $0.sha256] },
                "converter": provenance.converter,
                "created": provenance.created,
            ] as [String: Any],
        ]
        if let tokenizer {
            object["tokenizer"] = ["kind": tokenizer.kind.rawValue].merging(tokenizer.blob.jsonObject) { a, _ in a }
        }
        if !tasks.isEmpty {
            object["tasks"] = tasks.map { task -> [String: Any] in
                var section: [String: Any] = [
                    "name": task.name, "mux_width": task.muxWidth, "prefill_layers": task.prefillLayers, "labels": task.labels,
                    "label_words": task.labelWords, "adapter_tensors": task.adapterTensors, "untrained": task.untrained,
                ]
                section["template"] = task.template
                return section
            }
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// Reads and checks a manifest. Unknown keys are ignored: newer minor versions may add them.
    init(json root: JSONValue) throws(BundleProblem) {
        guard root.isObject else { throw .manifest("must be a JSON object") }
        guard root["format"]?.string == Self.formatName else { throw .manifest("format must be \"\(Self.formatName)\"") }
        guard let familyName = root["family"]?.string, let family = Family(rawValue: familyName) else {
            throw .manifest("family must be one of \(Family.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.family = family
        var config: [String: ConfigValue] = [:]
        for (key, value) in root["config"]?.entries ?? [] {
            config[key] = try ConfigValue(json: value, key: key)
        }
        self.config = config
        guard let tensorList = root["tensors"]?.array else { throw .manifest("tensors must be an array") }
        var tensors: [BundleTensor] = []
        tensors.reserveCapacity(tensorList.count)
        for entry in tensorList { tensors.append(try BundleTensor(json: entry)) }
        self.tensors = tensors
        tokenizer = try root["tokenizer"].flatMap { $0.isNull ? nil : $0 }.map { (json) throws(BundleProblem) in
            guard let kindName = json["kind"]?.string, let kind = TokenizerRecord.Kind(rawValue: kindName) else {
                throw .manifest("tokenizer.kind must be \"tokenizer.json\" or \"gguf\"")
            }
            return TokenizerRecord(kind: kind, blob: try BundleBlob(json: json, name: "tokenizer"))
        }
        var tasks: [RevmuxSection] = []
        for (index, json) in (root["tasks"]?.array ?? []).enumerated() {
            let task = try RevmuxSection(json: json, index: index)
            guard !tasks.contains(where: { $0.name == task.name }) else { throw .manifest("two tasks are named \"\(task.name)\"") }
            tasks.append(task)
        }
        self.tasks = tasks
        let source = root["provenance"]
        provenance = Provenance(
            sources: (source?["sources"]?.array ?? []).map {
                SourceFile(path: $0["path"]?.string ?? "", sha256: $0["sha256"]?.string ?? "")
            },
            converter: source?["converter"]?.string ?? "", created: source?["created"]?.string ?? "")
    }
}

private func integer(_ json: JSONValue, _ key: String, of owner: String) throws(BundleProblem) -> Int {
    guard let value = json[key]?.nonNegativeInt else { throw .manifest("\(owner): \(key) must be a non-negative integer") }
    return value
}

private func checksum(_ json: JSONValue, of owner: String) throws(BundleProblem) -> UInt32 {
    guard let value = json["crc32"]?.nonNegativeInt, let crc = UInt32(exactly: value) else {
        throw .manifest("\(owner): crc32 must be a 32-bit unsigned integer")
    }
    return crc
}

extension BundleTensor {
    init(json: JSONValue) throws(BundleProblem) {
        guard let name = json["name"]?.string else { throw .manifest("every tensor needs a name") }
        guard let typeName = json["dtype"]?.string, let type = TensorType(name: typeName) else {
            throw .tensor(name: name, reason: "unknown dtype \(json["dtype"]?.string ?? "(none)")")
        }
        guard let dimensions = json["shape"]?.array else { throw .tensor(name: name, reason: "shape must be an array") }
        var shape: [Int] = []
        for dimension in dimensions {
            guard let size = dimension.nonNegativeInt else { throw .tensor(name: name, reason: "shape must hold non-negative integers") }
            shape.append(size)
        }
        self.init(name: name, type: type, shape: shape, offset: try integer(json, "offset", of: name),
                  length: try integer(json, "length", of: name), crc32: try checksum(json, of: name))
    }
}

extension BundleBlob {
    init(json: JSONValue, name: String) throws(BundleProblem) {
        let compression = json["compression"]?.string ?? "none"
        guard compression == "zlib" || compression == "none" else {
            throw .manifest("\(name): compression must be zlib or none")
        }
        self.init(offset: try integer(json, "offset", of: name), storedLength: try integer(json, "stored_length", of: name),
                  length: try integer(json, "length", of: name), crc32: try checksum(json, of: name),
                  compressed: compression == "zlib")
    }

    var jsonObject: [String: Any] {
        ["offset": offset, "stored_length": storedLength, "length": length, "crc32": Int(crc32),
         "compression": compressed ? "zlib" : "none"]
    }
}

extension RevmuxSection {
    init(json: JSONValue, index: Int) throws(BundleProblem) {
        let context = "tasks[\(index)]"
        guard let name = json["name"]?.string, Self.isValidName(name) else {
            throw .manifest("\(context).name must be 1-64 letters, digits, '_' or '-'")
        }
        func strings(_ key: String) -> [String] { json[key]?.array?.compactMap(\.string) ?? [] }
        self.init(name: name, muxWidth: try integer(json, "mux_width", of: context),
                  prefillLayers: try integer(json, "prefill_layers", of: context),
                  labels: strings("labels"), labelWords: strings("label_words"), template: json["template"]?.string,
                  adapterTensors: strings("adapter_tensors"), untrained: json["untrained"]?.bool ?? false)
        if let stray = adapterTensors.first(where: { !$0.hasPrefix(tensorPrefix) }) {
            throw .manifest("task \"\(name)\" lists tensor \"\(stray)\", outside its prefix \(tensorPrefix)")
        }
    }
}

extension ConfigValue {
    init(json: JSONValue, key: String) throws(BundleProblem) {
        if let value = json.int {
            self = .int(value)
        } else if let value = json.double {
            self = .double(value)
        } else if let value = json.string {
            self = .string(value)
        } else if let value = json.bool {
            self = .bool(value)
        } else {
            throw .manifest("config.\(key) must be a number, string or boolean")
        }
    }

    var jsonObject: Any {
        switch self {
        case .int(let value): value
        case .double(let value): value
        case .string(let value): value
        case .bool(let value): value
        }
    }
}
