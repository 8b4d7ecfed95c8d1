import RevmuxJSON

/// GPT-2's byte-level pre-tokenizer: splits with the GPT-2 regex (unless `useRegex` is
/// off), then spells every UTF-8 byte as one printable character, so a BPE vocabulary of
/// 256 base symbols covers any text.
public struct ByteLevelPreTokenizer: PreTokenizer {
    /// Prepend a space to each piece that does not start with one, so the first word is
    /// tokenized like any other.
    public var addPrefixSpace: Bool
    public var useRegex: Bool

    private static let splitter = RegexSplitter(pattern: RegexSplitter.gpt2Pattern + #"|\s+"#)!

    public init(addPrefixSpace: Bool, useRegex: Bool = true) {
        self.addPrefixSpace = addPrefixSpace
        self.useRegex = useRegex
    }

    /// `trim_offsets` only moves offsets, which revmux does not report.
    init(json: JSONValue) throws(TokenizerError) {
        self.init(
            addPrefixSpace: json["add_prefix_space"]?.bool ?? true,
            useRegex: json["use_regex"]?.bool ?? true)
    }

    public func split(_ piece: Piece, into output: inout [Piece]) {
        var text = piece.text
        guard !text.isEmpty else { return }
        if addPrefixSpace, text.utf8.first != 0x20 { text = " " + text }
        text.withUTF8 { source in
            let mapped = ByteLevelAlphabet.spell(source)
            var mappedStart = mapped.startIndex
            var sourceStart = 0
            // Each source byte became one character of one or two UTF-8 bytes.
            func emit(upTo sourceEnd: Int) {
                var length = 0
                for byte in source[sourceStart..<sourceEnd] { length += ByteLevelAlphabet.spelledLength(byte) }
                let mappedEnd = mapped.utf8.index(mappedStart, offsetBy: length)
                output.append(Piece(mapped[mappedStart..<mappedEnd], atStart: piece.atStart && sourceStart == 0))
                mappedStart = mappedEnd
                sourceStart = sourceEnd
            }
            if useRegex {
                Self.splitter.forEachPiece(in: source) { _, end, _ in emit(upTo: end) }
            } else {
                emit(upTo: source.count)
            }
        }
    }
}

/// GPT-2's `bytes_to_unicode`: the printable bytes !…~, ¡…¬ and ®…ÿ stand for themselves;
/// the other 68 bytes, in order, become U+0100, U+0101, ….
enum ByteLevelAlphabet {
    /// The character of each byte.
    static let characters: [Unicode.Scalar] = {
        var next: UInt32 = 0x100
        return (0...255).map { (byte: UInt32) -> Unicode.Scalar in
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable { return Unicode.Scalar(byte)! }
            defer { next += 1 }
            return Unicode.Scalar(next)!
        }
    }()

    /// The byte of each character up to U+0143 (the last one used); 0xFFFF for others.
    private static let bytes: [UInt16] = {
        var table = [UInt16](repeating: 0xFFFF, count: 0x144)
        for (byte, character) in characters.enumerated() { table[Int(character.value)] = UInt16(byte) }
        return table
    }()

    @inline(__always)
    static func spelledLength(_ byte: UInt8) -> Int {
        characters[Int(byte)].value < 0x80 ? 1 : 2
    }

    /// `bytes` with every byte replaced by its character.
    static func spell(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var length = 0
        for byte in bytes { length += spelledLength(byte) }
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            for byte in bytes {
                let value = characters[Int(byte)].value
                if value < 0x80 {
                    buffer[index] = UInt8(value)
                    index += 1
                } else {
                    buffer[index] = UInt8(0xC0 | value >> 6)
                    buffer[index + 1] = UInt8(0x80 | value & 0x3F)
                    index += 2
                }
            }
            return index
        }
    }

    /// The byte a character stands for, or nil when it is not one of the 256.
    @inline(__always)
    static func byte(of character: Unicode.Scalar) -> UInt8? {
        let value = Int(character.value)
        guard value < bytes.count, bytes[value] != 0xFFFF else { return nil }
        return UInt8(bytes[value])
    }
}
