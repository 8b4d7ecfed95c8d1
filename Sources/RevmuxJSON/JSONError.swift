/// Why a byte sequence is not acceptable JSON.
public enum JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// json-c rejected the text; `offset` is where it stopped.
    case syntax(message: String, offset: Int)
    /// Non-whitespace bytes follow the value.
    case trailingCharacters(offset: Int)
    /// A string holds a lone UTF-16 surrogate escape or a raw control character.
    case invalidString(offset: Int)
    /// The same key appears twice in one object, `depth` containers deep (0: top level).
    case duplicateKey(String, depth: Int)
    /// Nesting deeper than the parser allows.
    case tooDeep(limit: Int)

    public var description: String {
        switch self {
        case .syntax(let message, let offset): "invalid JSON at byte \(offset): \(message)"
        case .trailingCharacters(let offset): "unexpected characters after the JSON value at byte \(offset)"
        case .invalidString(let offset): "a JSON string at byte \(offset) holds a lone surrogate escape or a raw control character"
        case .duplicateKey(let key, _): "duplicate key \"\(key)\" in a JSON object"
        case .tooDeep(let limit): "JSON nested deeper than \(limit) levels"
        }
    }
}
