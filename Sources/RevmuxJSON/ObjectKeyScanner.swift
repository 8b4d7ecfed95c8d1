/// Finds each object's key literals in text that json-c has already accepted.
///
/// json-c keeps only the last of two equal keys, so the repeat is invisible in its tree.
/// This pass needs no JSON grammar beyond strings and brackets, because the text is known
/// to be valid: it numbers objects in pre-order and records where each key literal lies.
enum ObjectKeyScanner {
    struct Object {
        /// Byte ranges of the key literals, quotes included.
        var keys: [Range<Int>] = []
    }

    static func keyCounts(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> [Object] {
        var objects: [Object] = []
        // Index into `objects` for each open object, nil for each open array.
        var open: [Int?] = []
        var i = start
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "{"):
                open.append(objects.count)
                objects.append(Object())
                i += 1
            case UInt8(ascii: "["):
                open.append(nil)
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = open.popLast()
                i += 1
            case UInt8(ascii: "\""):
                let literalStart = i
                i += 1
                while i < end, bytes[i] != UInt8(ascii: "\"") {
                    i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1
                }
                i += 1
                let literal = literalStart..<min(i, end)
                var next = i
                while next < end, JSON.isWhitespace(bytes[next]) { next += 1 }
                if next < end, bytes[next] == UInt8(ascii: ":"), let top = open.last, let index = top {
                    objects[index].keys.append(literal)
                }
            default:
                i += 1
            }
        }
        return objects
    }
}
