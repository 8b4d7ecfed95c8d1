import RevmuxTensors

/// Why a model path could not be opened, from any of the formats we read.
public enum ModelOpenError: Error, CustomStringConvertible, Sendable {
    case io(FileError)
    case notAModel(path: String, reason: String)
    case safetensors(FormatError<SafetensorsProblem>)
    case sharded(ShardedSafetensorsError)
    case gguf(FormatError<GGUFProblem>)
    case config(FormatError<HFConfigProblem>)

    public var description: String {
        switch self {
        case .io(let error): error.description
        case .notAModel(let path, let reason): "\(path): \(reason)"
        case .safetensors(let error): error.description
        case .sharded(let error): error.description
        case .gguf(let error): error.description
        case .config(let error): error.description
        }
    }

    /// True when the operating system failed (missing file, permissions), not the content.
    public var isIOFailure: Bool {
        switch self {
        case .io: true
        case .sharded(.io), .sharded(.shard(.io)): true
        default: false
        }
    }

    static func wrap<T>(_ body: () throws(OpenError<SafetensorsProblem>) -> T) throws(ModelOpenError) -> T {
        do { return try body() } catch {
            switch error {
            case .io(let error): throw .io(error)
            case .format(let error): throw .safetensors(error)
            }
        }
    }

    static func wrap<T>(_ body: () throws(OpenError<GGUFProblem>) -> T) throws(ModelOpenError) -> T {
        do { return try body() } catch {
            switch error {
            case .io(let error): throw .io(error)
            case .format(let error): throw .gguf(error)
            }
        }
    }
}
