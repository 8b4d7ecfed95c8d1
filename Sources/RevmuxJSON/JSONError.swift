/// Why a byte sequence is not acceptable JSON.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// json-c rejected the text; `offset` is where it stopped.
    case syntax(message: String, offset: Int)
    /// Non-whitespace bytes follow the value.
    case trailingCharacters(offset: Int)
    /// A string decodes to invalid UTF-8 (for example a lone surrogate escape).
    case invalidString(offset: Int)
    /// The same key appears twice in one object.
    case duplicateKey(String)
    /// Nesting deeper than the parser allows.
    case tooDeep(limit: Int)

    public var description: String {
        switch self {
        case .syntax(let message, let offset): "invalid JSON at byte \(offset): \(message)"
        case .trailingCharacters(let offset): "unexpected characters after the JSON value at byte \(offset)"
        case .invalidString(let offset): "a JSON string near byte \(offset) is not valid UTF-8"
        case .duplicateKey(let key): "duplicate key \"\(key)\" in a JSON object"
        case .tooDeep(let limit): "JSON nested deeper than \(limit) levels"
        }
    }
}
