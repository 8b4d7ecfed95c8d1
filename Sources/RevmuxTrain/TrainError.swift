import RevmuxModels

/// Why training could not start or go on; each message names what to fix.
public enum TrainError: Error, CustomStringConvertible, Sendable {
    /// The bundle's tensors are not what the backbone needs.
    case model(ModelError)
    case data(String)
    case io(String)

    public var description: String {
        switch self {
        case .model(let error): error.description
        case .data(let message): message
        case .io(let message): message
        }
    }
}
