/// A parsed JSON value. Objects keep their keys in document order.
public indirect enum JSON: Equatable, Sendable {
    case null
    case bool(Bool)
    /// An integer literal that fits Int64.
    case integer(Int64)
    /// An integer literal above Int64.max that fits UInt64.
    case unsignedInteger(UInt64)
    /// Any other number (fraction or exponent).
    case number(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// A short name of the value's kind, for error messages.
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .unsignedInteger: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var objectValue: JSONObject? {
        if case .object(let value) = self { value } else { nil }
    }

    public var arrayValue: [JSON]? {
        if case .array(let value) = self { value } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    /// The value as a non-negative Int, when it is an integer literal that fits.
    public var nonNegativeInt: Int? {
        switch self {
        case .integer(let value) where value >= 0: Int(exactly: value)
        case .unsignedInteger(let value): Int(exactly: value)
        default: nil
        }
    }

    /// The value as an Int, when it is an integer literal that fits.
    public var intValue: Int? {
        switch self {
        case .integer(let value): Int(exactly: value)
        case .unsignedInteger(let value): Int(exactly: value)
        default: nil
        }
    }

    /// The value as a Double, for any number.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .unsignedInteger(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// A JSON object: unique keys in document order.
public struct JSONObject: Equatable, Sendable {
    public private(set) var keys: [String] = []
    private var values: [String: JSON] = [:]

    public init() {}

    /// Adds a key; returns false when the key is already present.
    mutating func insert(_ key: String, _ value: JSON) -> Bool {
        guard values.updateValue(value, forKey: key) == nil else { return false }
        keys.append(key)
        return true
    }

    public subscript(key: String) -> JSON? { values[key] }

    public var count: Int { keys.count }

    /// Key-value pairs in document order.
    public var entries: [(key: String, value: JSON)] { keys.map { ($0, values[$0]!) } }
}
