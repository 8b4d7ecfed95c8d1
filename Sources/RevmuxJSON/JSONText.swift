import CJSONC

/// A pass over text that json-c has already accepted, for what json-c cannot see:
/// where each object's key literals lie (to find repeated keys), and whether every
/// \u escape pairs its UTF-16 surrogates (json-c quietly turns a lone one into U+FFFD,
/// where the reference readers reject it), and no raw control character sits inside a
/// string (json-c's strict mode lets them through). json-c's strict mode also lets through
/// overlong and surrogate UTF-8 sequences, `NaN`, `Infinity`, leading zeros (`00`, `-01`)
/// a bare trailing `.` (`1.`) and single-quoted strings, so strings are UTF-8-validated and numbers checked
/// against JSON's grammar here. The text is otherwise valid JSON, so strings, numbers and
/// brackets are all the grammar this needs.
enum JSONText {
    struct Object {
        /// How many containers enclose the object (0 for a top-level object).
        var depth: Int
        /// Byte ranges of the key literals, quotes included.
        var keys: [Range<Int>] = []
    }

    /// Objects in pre-order (the order of their opening braces).
    static func scan(_ bytes: UnsafeRawBufferPointer) throws(JSONError) -> [Object] {
        var objects: [Object] = []
        // Index into `objects` for each open object, nil for each open array.
        var open: [Int?] = []
        let end = bytes.count
        var i = 0
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "{"):
                objects.append(Object(depth: open.count))
                open.append(objects.count - 1)
                i += 1
            case UInt8(ascii: "["):
                open.append(nil)
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                _ = open.popLast()
                i += 1
            case UInt8(ascii: "\""):
                let start = i
                i = try endOfString(bytes, from: i + 1)
                var next = i
                while next < end, isWhitespace(bytes[next]) { next += 1 }
                if next < end, bytes[next] == UInt8(ascii: ":"), let top = open.last, let index = top {
                    objects[index].keys.append(start..<i)
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                i = try endOfNumber(bytes, from: i)
            case UInt8(ascii: "N"), UInt8(ascii: "I"):
                throw .syntax(message: "NaN and Infinity are not JSON numbers", offset: i)
            case UInt8(ascii: "'"):
                throw .syntax(message: "single-quoted strings are not JSON", offset: i)
            default:
                i += 1
            }
        }
        return objects
    }

    /// Index just past the number starting at `start`, which must match JSON's grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private static func endOfNumber(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(JSONError) -> Int {
        var i = start
        func digits() -> Int {
            let first = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - first
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        let integer = i
        let count = digits()
        var valid = count == 1 || (count > 1 && bytes[integer] != UInt8(ascii: "0"))
        if valid, i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            valid = digits() > 0
        }
        if valid, i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            valid = digits() > 0
        }
        guard valid else { throw .syntax(message: "invalid number", offset: start) }
        return i
    }

    /// Index just past the closing quote of the string whose contents start at `start`.
    private static func endOfString(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(JSONError) -> Int {
        var i = start
        var pendingHighSurrogate = false
        var ascii = true
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                guard !pendingHighSurrogate else { throw .invalidString(offset: i) }
                guard ascii || isValidUTF8(UnsafeRawBufferPointer(rebasing: bytes[start..<i])) else {
                    throw .syntax(message: "invalid utf-8 string", offset: start - 1)
                }
                return i + 1
            }
            guard byte == UInt8(ascii: "\\") else {
                guard !pendingHighSurrogate, byte >= 0x20 else { throw .invalidString(offset: i) }
                if byte >= 0x80 { ascii = false }
                i += 1
                continue
            }
            if bytes[i + 1] == UInt8(ascii: "u") {
                let unit = hexValue(bytes, at: i + 2)
                switch unit {
                case 0xD800...0xDBFF:
                    guard !pendingHighSurrogate else { throw .invalidString(offset: i) }
                    pendingHighSurrogate = true
                case 0xDC00...0xDFFF:
                    guard pendingHighSurrogate else { throw .invalidString(offset: i) }
                    pendingHighSurrogate = false
                default:
                    guard !pendingHighSurrogate else { throw .invalidString(offset: i) }
                }
                i += 6
            } else {
                guard !pendingHighSurrogate else { throw .invalidString(offset: i) }
                i += 2
            }
        }
        return i
    }

    /// Strict UTF-8 (no overlong forms, surrogates or values above U+10FFFF), without copying.
    private static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    private static func hexValue(_ bytes: UnsafeRawBufferPointer, at start: Int) -> Int {
        var value = 0
        for byte in bytes[start..<(start + 4)] {
            let digit: UInt8 = switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: byte - UInt8(ascii: "A") + 10
            }
            value = value << 4 | Int(digit)
        }
        return value
    }

    /// Decodes an object's key literals (with json-c) to name the first repeated one.
    static func firstRepeatedKey(_ object: Object, in source: UnsafeRawBufferPointer) -> String {
        var seen = Set<String>()
        for range in object.keys {
            let literal = UnsafeRawBufferPointer(rebasing: source[range])
            guard let document = try? JSONDocument(parsing: literal), let key = document.root.string else { continue }
            if !seen.insert(key).inserted { return key }
        }
        return "?"
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }
}
