import CJSONC

/// A JSON document parsed by json-c, read in place through `JSONValue` views.
///
/// Nothing is converted up front: a header with hundreds of entries or a tokenizer with
/// a 100k-entry vocabulary is read only as far as the caller looks. Parsing is strict
/// (json-c's strict mode, UTF-8 validated) and adds two checks json-c lacks: a key
/// repeated within an object, and a lone UTF-16 surrogate escape, are errors.
public final class JSONDocument: @unchecked Sendable {
    // Sendable: json-c objects are never mutated after parsing, and reads are thread-safe.
    let rootNode: OpaquePointer?

    /// Nesting limit handed to json-c; deeper documents are rejected, never recursed into.
    public static let depthLimit: Int32 = 64

    /// Parses one JSON value; JSON whitespace around it is accepted, anything else is not.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(JSONError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw .syntax(message: "empty document", offset: 0)
        }
        // json-c takes an Int32 length; anything longer than that is not ours to parse.
        guard bytes.count < Int(Int32.max) else {
            throw .syntax(message: "document larger than 2 GiB", offset: 0)
        }
        guard let tokener = json_tokener_new_ex(Self.depthLimit) else {
            throw .syntax(message: "out of memory", offset: 0)
        }
        defer { json_tokener_free(tokener) }
        json_tokener_set_flags(tokener, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)

        var root = json_tokener_parse_ex(tokener, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        var status = json_tokener_get_error(tokener)
        var end = Int(json_tokener_get_parse_end(tokener))
        if status == json_tokener_continue {
            // A bare top-level number is complete only at end of input: say so.
            root = json_tokener_parse_ex(tokener, "", 1)
            status = json_tokener_get_error(tokener)
            end = bytes.count
        }
        rootNode = root
        guard status == json_tokener_success else {
            if status == json_tokener_error_depth { throw .tooDeep(limit: Int(Self.depthLimit)) }
            if status == json_tokener_continue { throw .syntax(message: "unexpected end of input", offset: bytes.count) }
            throw .syntax(message: String(cString: json_tokener_error_desc(status)), offset: end)
        }
        var rest = end
        while rest < bytes.count, JSONText.isWhitespace(bytes[rest]) { rest += 1 }
        guard rest == bytes.count else { throw .trailingCharacters(offset: rest) }

        let objects = try JSONText.scan(bytes)
        var next = 0
        try Self.checkKeyCounts(rootNode, objects, &next, source: bytes)
    }

    deinit {
        if let rootNode { json_object_put(rootNode) }
    }

    public var root: JSONValue { JSONValue(node: rootNode, document: self) }

    /// json-c keeps only the last of two equal keys, so a repeat shows as an object with
    /// fewer keys than its text. Objects are visited in the scan's pre-order; the first
    /// mismatch is the first object with a repeated key, before any ordering can drift.
    private static func checkKeyCounts(
        _ node: OpaquePointer?, _ objects: [JSONText.Object], _ next: inout Int, source: UnsafeRawBufferPointer
    ) throws(JSONError) {
        guard let node else { return }
        switch json_object_get_type(node) {
        case json_type_object:
            let scanned = objects[next]
            next += 1
            guard Int(json_object_object_length(node)) == scanned.keys.count else {
                throw .duplicateKey(JSONText.firstRepeatedKey(scanned, in: source), depth: scanned.depth)
            }
            var entry = json_object_get_object(node)?.pointee.head
            while let current = entry {
                try checkKeyCounts(OpaquePointer(current.pointee.v), objects, &next, source: source)
                entry = current.pointee.next
            }
        case json_type_array:
            for index in 0..<json_object_array_length(node) {
                try checkKeyCounts(json_object_array_get_idx(node, index), objects, &next, source: source)
            }
        default:
            return
        }
    }
}
