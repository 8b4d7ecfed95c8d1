import RevmuxBundle
import RevmuxModels

public enum MuxError: Error, CustomStringConvertible, Sendable {
    /// No task could be chosen: the bundle has none, or several and none was named.
    case taskChoice(TaskChoiceError)
    case model(ModelError)
    case tokenizer(BundleTokenizerError)
    case task(String)

    public var description: String {
        switch self {
        case .taskChoice(let error): error.description
        case .model(let error): error.description
        case .tokenizer(let error): error.description
        case .task(let message): message
        }
    }
}
