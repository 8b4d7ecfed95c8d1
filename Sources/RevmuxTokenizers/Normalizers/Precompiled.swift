import RevmuxJSON

/// SentencePiece's normalization rules carried in a tokenizer.json (`precompiled_charsmap`),
/// applied as `tokenizers` applies them: grapheme by grapheme, a grapheme of fewer than six
/// UTF-8 bytes is replaced whole by the rule of its shortest matching prefix; any other, or one
/// no rule matches, is rewritten character by character. (So "ｅ\u{301}" becomes "e": the
/// fullwidth letter's rule swallows the accent. SentencePiece would keep it.)
public struct Precompiled: Normalizer {
    /// nil for an empty charsmap, which rewrites nothing.
    private let charsMap: PrecompiledCharsMap?
    /// For each ASCII byte, its replacement in the blob, or nil to keep it.
    private let asciiReplacements: [Range<Int>?]

    public init(charsMap bytes: [UInt8]) throws(TokenizerError) {
        // `tokenizers` cannot load an empty charsmap; SentencePiece reads it as "no rules".
        let map = bytes.isEmpty ? nil : try PrecompiledCharsMap(bytes)
        charsMap = map
        asciiReplacements = (0..<128).map { byte in
            [UInt8(byte)].withUnsafeBufferPointer { map?.shortestMatch($0) }
        }
    }

    public init(json: JSONValue) throws(TokenizerError) {
        let field = json["precompiled_charsmap"]
        if field == nil || field!.isNull {
            try self.init(charsMap: [])
            return
        }
        guard let encoded = field!.string, let bytes = decodeBase64(encoded) else {
            throw .invalid(component: "Precompiled normalizer", reason: "precompiled_charsmap must be base64 text")
        }
        try self.init(charsMap: bytes)
    }

    public func normalize(_ text: String) -> String {
        guard let charsMap else { return text }
        var text = text
        text.makeContiguousUTF8()
        return text.utf8.withContiguousStorageIfAvailable { bytes in
            charsMap.withReplacements { replacements in
                rewrite(text, bytes, charsMap, replacements)
            }
        }!
    }

    private func rewrite(
        _ text: String, _ bytes: UnsafeBufferPointer<UInt8>, _ charsMap: PrecompiledCharsMap,
        _ replacements: UnsafeBufferPointer<UInt8>
    ) -> String {
        var output: [UInt8] = []
        var copied = 0  // bytes[..<copied] are already in `output`
        func replace(_ range: Range<Int>, with replacement: Range<Int>) {
            if output.isEmpty { output.reserveCapacity(bytes.count + bytes.count / 4 + 16) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied..<range.lowerBound]))
            output.append(contentsOf: UnsafeBufferPointer(rebasing: replacements[replacement]))
            copied = range.upperBound
        }

        var position = 0
        var index = text.startIndex  // the same place as `position`, while it is needed
        var indexIsCurrent = true
        while position < bytes.count {
            let byte = bytes[position]
            // An ASCII byte followed by another (other than CR LF) is a grapheme on its own.
            if byte < 0x80, position + 1 == bytes.count || (bytes[position + 1] < 0x80 && !(byte == 0x0D && bytes[position + 1] == 0x0A)) {
                if let replacement = asciiReplacements[Int(byte)] { replace(position..<position + 1, with: replacement) }
                position += 1
                indexIsCurrent = false
                continue
            }
            if !indexIsCurrent { index = text.utf8.index(text.startIndex, offsetBy: position) }
            let next = text.index(after: index)
            let end = position + text.utf8.distance(from: index, to: next)
            let grapheme = UnsafeBufferPointer(rebasing: bytes[position..<end])
            if grapheme.count < 6, let replacement = charsMap.shortestMatch(grapheme) {
                replace(position..<end, with: replacement)
            } else {
                var start = position
                while start < end {
                    let characterEnd = start + utf8Length(bytes[start])
                    if let replacement = charsMap.shortestMatch(UnsafeBufferPointer(rebasing: bytes[start..<characterEnd])) {
                        replace(start..<characterEnd, with: replacement)
                    }
                    start = characterEnd
                }
            }
            position = end
            index = next
            indexIsCurrent = true
        }
        guard copied > 0 else { return text }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copied...]))
        return String(decoding: output, as: UTF8.self)
    }
}

@inline(__always)
private func utf8Length(_ lead: UInt8) -> Int {
    lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
}

/// Standard base64 with padding, as `tokenizers` writes the charsmap; nil for anything else.
private func decodeBase64(_ text: String) -> [UInt8]? {
    let characters = Array(text.utf8)
    guard characters.count % 4 == 0 else { return nil }
    var output: [UInt8] = []
    output.reserveCapacity(characters.count / 4 * 3)
    for quad in stride(from: 0, to: characters.count, by: 4) {
        var value: UInt32 = 0
        var padding = 0
        for offset in 0..<4 {
            let character = characters[quad + offset]
            let sextet: UInt32
            switch character {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): sextet = UInt32(character - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): sextet = UInt32(character - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sextet = UInt32(character - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "+"): sextet = 62
            case UInt8(ascii: "/"): sextet = 63
            case UInt8(ascii: "=") where quad + 4 == characters.count && offset >= 2:
                padding += 1
                sextet = 0
            default: return nil
            }
            // Nothing but padding may follow padding.
            if padding > 0 && character != UInt8(ascii: "=") { return nil }
            value = value << 6 | sextet
        }
        output.append(UInt8(value >> 16))
        if padding < 2 { output.append(UInt8(value >> 8 & 0xFF)) }
        if padding < 1 { output.append(UInt8(value & 0xFF)) }
    }
    return output
}
