/// Why a tokenizer could not be built or used.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A component type we do not implement: never approximated silently.
    case unsupported(component: String, type: String)
    /// A component's configuration is missing a field or holds a wrong value.
    case invalid(component: String, reason: String)
    /// The input is not valid UTF-8.
    case invalidUTF8(line: Int?)

    public var description: String {
        switch self {
        case .unsupported(let component, let type):
            "\(component) type \"\(type)\" is not supported by revmux"
        case .invalid(let component, let reason):
            "invalid \(component): \(reason)"
        case .invalidUTF8(let line):
            line.map { "line \($0) is not valid UTF-8" } ?? "input is not valid UTF-8"
        }
    }
}
