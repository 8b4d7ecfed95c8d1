import CJSONC

extension JSON {
    /// Nesting limit handed to json-c; deeper documents are rejected, never recursed into.
    public static let depthLimit: Int32 = 64

    /// Parses one JSON value with json-c in strict mode, validating UTF-8.
    ///
    /// JSON whitespace around the value is accepted; anything else after it is an error.
    /// Unlike json-c alone, a key repeated within an object is an error, not a silent overwrite.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> JSON {
        guard let tokener = json_tokener_new_ex(depthLimit) else {
            throw .syntax(message: "out of memory", offset: 0)
        }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)

        // json-c takes an Int32 length; anything longer than that is not ours to parse.
        guard bytes.count < Int(Int32.max) else {
            throw .syntax(message: "document larger than 2 GiB", offset: 0)
        }
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw .syntax(message: "empty document", offset: 0)
        }
        let root = json_tokener_parse_ex(tokener, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        let status = json_tokener_get_error(tokener)
        let end = Int(json_tokener_get_parse_end(tokener))
        defer { if let root { json_object_put(root) } }

        if status == json_tokener_error_depth { throw .tooDeep(limit: Int(depthLimit)) }
        // A bare top-level number ends only at end of input: json-c reports "continue".
        if status == json_tokener_continue {
            if let root, json_object_get_type(root) != json_type_object,
                json_object_get_type(root) != json_type_array, end == bytes.count
            {
                // fall through with the complete scalar
            } else {
                throw .syntax(message: "unexpected end of input", offset: bytes.count)
            }
        } else if status != json_tokener_success {
            throw .syntax(message: String(cString: json_tokener_error_desc(status)), offset: end)
        }
        var rest = end
        while rest < bytes.count, isWhitespace(bytes[rest]) { rest += 1 }
        guard rest == bytes.count else { throw .trailingCharacters(offset: rest) }

        let keyCounts = ObjectKeyScanner.keyCounts(bytes, from: 0, to: end)
        var converter = Converter(source: bytes, keyCounts: keyCounts)
        return try converter.convert(root)
    }

    /// Parses a Swift string's UTF-8.
    public static func parse(_ text: String) throws(JSONError) -> JSON {
        let result = Array(text.utf8).withUnsafeBytes { bytes in
            Result { () throws(JSONError) in try parse(bytes) }
        }
        return try result.get()
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}

/// Turns json-c's tree into `JSON`, walking objects in document order so that each
/// one lines up with the key count the scanner saw in the text.
private struct Converter {
    let source: UnsafeRawBufferPointer
    let keyCounts: [ObjectKeyScanner.Object]
    var nextObject = 0

    init(source: UnsafeRawBufferPointer, keyCounts: [ObjectKeyScanner.Object]) {
        self.source = source
        self.keyCounts = keyCounts
    }

    mutating func convert(_ node: OpaquePointer?) throws(JSONError) -> JSON {
        guard let node else { return .null }
        switch json_object_get_type(node) {
        case json_type_null:
            return .null
        case json_type_boolean:
            return .bool(json_object_get_boolean(node) != 0)
        case json_type_int:
            let signed = json_object_get_int64(node)
            if signed == Int64.max {
                let unsigned = json_object_get_uint64(node)
                if unsigned > UInt64(Int64.max) { return .unsignedInteger(unsigned) }
            }
            return .integer(signed)
        case json_type_double:
            return .number(json_object_get_double(node))
        case json_type_string:
            return .string(try string(node))
        case json_type_array:
            let count = json_object_array_length(node)
            var items: [JSON] = []
            items.reserveCapacity(count)
            for index in 0..<count {
                items.append(try convert(json_object_array_get_idx(node, index)))
            }
            return .array(items)
        case json_type_object:
            // Objects are visited in the same pre-order as the scanner numbered them; the first
            // object whose key count differs is the first one with a repeated key.
            let scanned = keyCounts[nextObject]
            nextObject += 1
            guard Int(json_object_object_length(node)) == scanned.keys.count else {
                throw .duplicateKey(try firstDuplicate(in: scanned))
            }
            var object = JSONObject()
            var entry = json_object_get_object(node)?.pointee.head
            while let current = entry {
                let key = String(cString: current.pointee.k.assumingMemoryBound(to: CChar.self))
                let value = try convert(OpaquePointer(current.pointee.v))
                _ = object.insert(key, value)
                entry = current.pointee.next
            }
            return .object(object)
        default:
            throw .syntax(message: "unknown json-c value type", offset: 0)
        }
    }

    private func string(_ node: OpaquePointer) throws(JSONError) -> String {
        let length = Int(json_object_get_string_len(node))
        guard let pointer = json_object_get_string(node) else { return "" }
        let bytes = UnsafeRawBufferPointer(start: pointer, count: length)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidString(offset: 0) }
        return text
    }

    /// Decodes the raw key literals of one object (with json-c) to name the repeated one.
    private func firstDuplicate(in object: ObjectKeyScanner.Object) throws(JSONError) -> String {
        var seen = Set<String>()
        for range in object.keys {
            let literal = UnsafeRawBufferPointer(rebasing: source[range])
            guard case .string(let key) = try JSON.parse(literal) else { continue }
            if !seen.insert(key).inserted { return key }
        }
        return "?"
    }
}
