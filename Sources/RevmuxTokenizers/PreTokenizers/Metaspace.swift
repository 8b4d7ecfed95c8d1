import RevmuxJSON

/// SentencePiece's whitespace handling: every space becomes the replacement character
/// (U+2581 "▁"), one is prepended to the piece as the scheme says, and (with `split`) the
/// piece is cut before every replacement character.
public struct Metaspace: PreTokenizer {
    public enum PrependScheme: String, Sendable {
        case always, first, never
    }

    public let replacement: Unicode.Scalar
    public let prependScheme: PrependScheme
    public let split: Bool
    /// The replacement's UTF-8 bytes.
    private let mark: [UInt8]

    public init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
        mark = Array(String(replacement).utf8)
    }

    public init(json: JSONValue) throws(TokenizerError) {
        let (replacement, prependScheme, split) = try Self.parse(json, component: "Metaspace pre-tokenizer")
        self.init(replacement: replacement, prependScheme: prependScheme, split: split)
    }

    /// The fields the pre-tokenizer and the decoder share, read as `tokenizers` reads them,
    /// including the older `add_prefix_space` (true: the scheme as given, default "always";
    /// false: only with "never").
    static func parse(_ json: JSONValue, component: String) throws(TokenizerError) -> (Unicode.Scalar, PrependScheme, Bool) {
        guard let text = json["replacement"]?.string, text.unicodeScalars.count == 1 else {
            throw .invalid(component: component, reason: "replacement must be a single character")
        }
        var scheme = PrependScheme.always
        if let field = json["prepend_scheme"], !field.isNull {
            guard let name = field.string, let parsed = PrependScheme(rawValue: name) else {
                throw .invalid(component: component, reason: "prepend_scheme must be \"always\", \"first\" or \"never\"")
            }
            scheme = parsed
        }
        if let field = json["add_prefix_space"], !field.isNull {
            guard let addPrefixSpace = field.bool else {
                throw .invalid(component: component, reason: "add_prefix_space must be a boolean")
            }
            if !addPrefixSpace && scheme != .never {
                throw .invalid(component: component, reason: "add_prefix_space false needs prepend_scheme \"never\"")
            }
        }
        var split = true
        if let field = json["split"], !field.isNull {
            guard let value = field.bool else { throw .invalid(component: component, reason: "split must be a boolean") }
            split = value
        }
        return (text.unicodeScalars.first!, scheme, split)
    }

    public func split(_ piece: Piece, into output: inout [Piece]) {
        let prepend = switch prependScheme {
        case .always: true
        case .first: piece.atStart
        case .never: false
        }
        var source = piece.text
        guard let (text, hasInnerMark) = source.withUTF8({ rewritten($0, prepend: prepend) }) else { return }
        guard split, hasInnerMark else {
            output.append(Piece(text[...], atStart: piece.atStart))
            return
        }
        // Each replacement character starts a piece and stays with the text after it. UTF-8
        // is self-synchronizing, so a byte match is a character match.
        func emit(_ range: Range<Int>) {
            let utf8 = text.utf8
            let lower = utf8.index(utf8.startIndex, offsetBy: range.lowerBound)
            let upper = utf8.index(utf8.startIndex, offsetBy: range.upperBound)
            output.append(Piece(text[lower..<upper], atStart: piece.atStart && range.lowerBound == 0))
        }
        var scanned = text
        scanned.withUTF8 { bytes in
            var start = 0
            var index = 1
            while index + mark.count <= bytes.count {
                if bytes[index] == mark[0], bytes[index..<index + mark.count].elementsEqual(mark) {
                    emit(start..<index)
                    start = index
                    index += mark.count
                } else {
                    index += 1
                }
            }
            emit(start..<bytes.count)
        }
    }

    /// The text with every space (U+0020, whatever follows it) replaced, and the replacement
    /// prepended if asked and the text does not already start with one; nil for no text. Also
    /// whether a replacement may follow the first character, the only case with a split to do.
    private func rewritten(_ bytes: UnsafeBufferPointer<UInt8>, prepend: Bool) -> (String, hasInnerMark: Bool)? {
        guard let first = bytes.first else { return nil }
        let prepending = prepend && first != 0x20 && !bytes.starts(with: mark)
        var spaces = 0
        var markBytes = 0
        for byte in bytes {
            if byte == 0x20 { spaces += 1 }
            if byte == mark[0] { markBytes += 1 }
        }
        let hasInnerMark = spaces > (prepending || first != 0x20 ? 0 : 1)
            || markBytes > (prepending || !bytes.starts(with: mark) ? 0 : 1)
        let capacity = bytes.count + spaces * (mark.count - 1) + (prepending ? mark.count : 0)
        let text = String(unsafeUninitializedCapacity: capacity) { buffer in
            var count = 0
            func append(_ bytes: [UInt8]) {
                for byte in bytes {
                    buffer[count] = byte
                    count += 1
                }
            }
            if prepending { append(mark) }
            for byte in bytes {
                if byte == 0x20 {
                    append(mark)
                } else {
                    buffer[count] = byte
                    count += 1
                }
            }
            return count
        }
        return (text, hasInnerMark)
    }
}
