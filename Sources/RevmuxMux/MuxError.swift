import RevmuxModels

public enum MuxError: Error, CustomStringConvertible, Sendable {
    /// The bundle carries no RevMUX section, so there is nothing to classify into.
    case noTask
    case model(ModelError)
    case tokenizer(BundleTokenizerError)
    case task(String)

    public var description: String {
        switch self {
        case .noTask:
            "the bundle has no task: convert it with --labels and --adapters FILE (or --init-adapters SEED for testing)"
        case .model(let error): error.description
        case .tokenizer(let error): error.description
        case .task(let message): message
        }
    }
}
