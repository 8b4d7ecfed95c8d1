import Glibc
import RevmuxJSON
import RevmuxTensors

/// A Hugging Face model folder: `config.json`, weights as one safetensors file or a
/// sharded index, and tokenizer files.
public struct HFModelFolder: Sendable {
    public enum Weights: Sendable {
        case single(SafetensorsFile)
        case sharded(ShardedSafetensors)
    }

    /// Tokenizer files we look for, in order of preference.
    public static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "vocab.txt", "spiece.model", "tokenizer.model"]

    public let path: String
    public let config: HFConfig
    public let weights: Weights
    /// The tokenizer files present, by name.
    public let tokenizerFiles: [String]

    public init(path: String) throws(ModelOpenError) {
        self.path = path
        let folder = path.hasSuffix("/") ? path : path + "/"
        let configPath = folder + "config.json"
        guard fileExists(configPath) else { throw .notAModel(path: path, reason: "a model folder needs config.json") }
        let configJSON: JSONDocument
        do {
            configJSON = try readJSONFile(configPath)
        } catch {
            switch error {
            case .io(let error): throw .io(error)
            case .format(let error): throw .config(FormatError(path: configPath, problem: .notJSON(error.problem)))
            }
        }
        guard configJSON.root.isObject else {
            throw .config(FormatError(path: configPath, problem: .notObject))
        }
        config = HFConfig(configJSON.root)

        if fileExists(folder + "model.safetensors") {
            weights = .single(try ModelOpenError.wrap { () throws(OpenError<SafetensorsProblem>) in
                try SafetensorsFile(path: folder + "model.safetensors")
            })
        } else if fileExists(folder + "model.safetensors.index.json") {
            do {
                weights = .sharded(try ShardedSafetensors(indexPath: folder + "model.safetensors.index.json"))
            } catch {
                throw .sharded(error)
            }
        } else {
            throw .notAModel(path: path, reason: "no model.safetensors or model.safetensors.index.json (PyTorch .bin weights are not read)")
        }
        tokenizerFiles = Self.tokenizerFiles.filter { fileExists(folder + $0) }
    }
}

func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}

func isDirectory(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}
