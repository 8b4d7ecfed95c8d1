import CJSONC

/// A read-only view of one value inside a `JSONDocument`; it keeps the document alive.
public struct JSONValue: @unchecked Sendable {
    let node: OpaquePointer?
    let document: JSONDocument

    public enum Kind: Sendable {
        case null, bool, integer, number, string, array, object
    }

    public var kind: Kind {
        guard let node else { return .null }
        switch json_object_get_type(node) {
        case json_type_boolean: return .bool
        case json_type_int: return .integer
        case json_type_double: return .number
        case json_type_string: return .string
        case json_type_array: return .array
        case json_type_object: return .object
        default: return .null
        }
    }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch kind {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var isNull: Bool { kind == .null }

    public var bool: Bool? {
        kind == .bool ? json_object_get_boolean(node) != 0 : nil
    }

    /// The value of an integer literal that fits Int.
    public var int: Int? {
        guard kind == .integer else { return nil }
        let signed = json_object_get_int64(node)
        // json-c saturates: Int64.max may stand for a larger unsigned literal.
        if signed == .max, json_object_get_uint64(node) > UInt64(Int64.max) { return nil }
        return Int(exactly: signed)
    }

    /// The value of an integer literal that is at least zero and fits Int.
    public var nonNegativeInt: Int? {
        int.flatMap { $0 >= 0 ? $0 : nil }
    }

    /// Any number as a Double.
    public var double: Double? {
        switch kind {
        case .integer, .number: json_object_get_double(node)
        default: nil
        }
    }

    /// The string, which json-c has already validated as UTF-8.
    public var string: String? {
        guard kind == .string, let pointer = json_object_get_string(node) else { return nil }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: Int(json_object_get_string_len(node)))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A number as the document spells it, for readers that must round it exactly as another
    /// JSON library does. json-c keeps the literal of every non-integer; an integer comes back
    /// in canonical form ("-0" reads as "0"), clamped to 64 bits.
    public var numberText: String? {
        guard kind == .integer || kind == .number, let pointer = json_object_get_string(node) else { return nil }
        return String(cString: pointer)
    }

    /// Calls `body` with the string's UTF-8 bytes, valid only during the call.
    public func withUTF8<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard kind == .string, let pointer = json_object_get_string(node) else { return nil }
        return try body(UnsafeRawBufferPointer(start: pointer, count: Int(json_object_get_string_len(node))))
    }

    /// Elements of an array or entries of an object; 0 for anything else.
    public var count: Int {
        switch kind {
        case .array: json_object_array_length(node)
        case .object: Int(json_object_object_length(node))
        default: 0
        }
    }

    /// The array's elements, or nil when this is not an array.
    public var array: [JSONValue]? {
        guard kind == .array else { return nil }
        return (0..<json_object_array_length(node)).map { JSONValue(node: json_object_array_get_idx(node, $0), document: document) }
    }

    /// The object's entries in document order, or nil when this is not an object.
    public var entries: [(key: String, value: JSONValue)]? {
        guard kind == .object else { return nil }
        var result: [(key: String, value: JSONValue)] = []
        result.reserveCapacity(count)
        var entry = json_object_get_object(node)?.pointee.head
        while let current = entry {
            let key = String(cString: current.pointee.k.assumingMemoryBound(to: CChar.self))
            result.append((key, JSONValue(node: OpaquePointer(current.pointee.v), document: document)))
            entry = current.pointee.next
        }
        return result
    }

    public var isObject: Bool { kind == .object }

    /// The member named `key` of an object; nil when absent or when this is not an object.
    public subscript(key: String) -> JSONValue? {
        guard kind == .object else { return nil }
        var member: OpaquePointer?
        guard json_object_object_get_ex(node, key, &member) != 0 else { return nil }
        return JSONValue(node: member, document: document)
    }
}
