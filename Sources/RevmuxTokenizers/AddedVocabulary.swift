/// A token matched in the text before anything else runs (special tokens such as
/// [CLS] or <|im_start|>, and user-added words).
public struct AddedToken: Equatable, Sendable {
    public var id: Int
    public var content: String
    public var special: Bool
    /// Only match as a whole word (no word character on either side).
    public var singleWord: Bool
    /// Swallow the whitespace on the left / right of a match.
    public var lstrip: Bool
    public var rstrip: Bool
    /// Match against normalized text (true) or the raw input (false).
    public var normalized: Bool

    public init(id: Int, content: String, special: Bool, singleWord: Bool = false,
                lstrip: Bool = false, rstrip: Bool = false, normalized: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
    }
}

/// Finds added tokens in text, as `tokenizers`' AddedVocabulary does: raw-text tokens
/// first, then normalized-text tokens in the normalized remainder; matches are
/// leftmost-longest and never overlap.
public struct AddedVocabulary: Sendable {
    public let tokens: [AddedToken]
    private let raw: Matcher
    private let normalized: Matcher

    public init(_ tokens: [AddedToken], normalizer: (any Normalizer)?) {
        self.tokens = tokens
        raw = Matcher(tokens.filter { !$0.normalized }.map { ($0, $0.content) })
        normalized = Matcher(tokens.filter(\.normalized).map { ($0, normalizer?.normalize($0.content) ?? $0.content) })
    }

    public enum Segment: Equatable, Sendable {
        case token(Int)
        /// Normalized text still to be pre-tokenized and modelled.
        case text(Piece)
    }

    /// Splits `text` into added tokens and normalized text segments, in order.
    public func segments(of text: String, normalizer: (any Normalizer)?, skipSpecial: Bool = false) -> [Segment] {
        var result: [Segment] = []
        for part in raw.split(text[...], skipSpecial: skipSpecial) {
            switch part {
            case .token(let id):
                result.append(.token(id))
            case .text(let piece):
                let normalizedText = normalizer.map { Substring($0.normalize(String(piece.text))) } ?? piece.text
                for inner in normalized.split(normalizedText, skipSpecial: skipSpecial) {
                    switch inner {
                    case .token(let id): result.append(.token(id))
                    case .text(let innerPiece):
                        result.append(.text(Piece(innerPiece.text, atStart: piece.atStart && innerPiece.atStart)))
                    }
                }
            }
        }
        return result
    }

    public func token(of id: Int) -> AddedToken? {
        tokens.first { $0.id == id }
    }
}

/// Leftmost-longest matching of a small set of strings over UTF-8.
private struct Matcher: Sendable {
    /// Candidates by first byte (256 slots), longest first: most bytes start no candidate,
    /// so the scan costs one array load per byte.
    private let byFirstByte: [[(token: AddedToken, bytes: [UInt8])]]
    private let isEmpty: Bool

    init(_ entries: [(AddedToken, String)]) {
        var table = [[(token: AddedToken, bytes: [UInt8])]](repeating: [], count: 256)
        for (token, content) in entries where !content.isEmpty {
            let bytes = Array(content.utf8)
            table[Int(bytes[0])].append((token, bytes))
        }
        byFirstByte = table.map { $0.sorted { $0.bytes.count > $1.bytes.count } }
        isEmpty = entries.allSatisfy { $0.1.isEmpty }
    }

    func split(_ text: Substring, skipSpecial: Bool) -> [AddedVocabulary.Segment] {
        guard !isEmpty else { return text.isEmpty ? [] : [.text(Piece(text, atStart: true))] }
        var copy = text
        return copy.withUTF8 { utf8 in split(text, utf8, skipSpecial: skipSpecial) }
    }

    private func split(_ text: Substring, _ utf8: UnsafeBufferPointer<UInt8>, skipSpecial: Bool) -> [AddedVocabulary.Segment] {
        var segments: [AddedVocabulary.Segment] = []
        var emitted = 0  // end of the last segment, in bytes
        var position = 0
        func piece(_ range: Range<Int>) -> Piece {
            let start = text.utf8.index(text.startIndex, offsetBy: range.lowerBound)
            let end = text.utf8.index(start, offsetBy: range.count)
            return Piece(text[start..<end], atStart: range.lowerBound == 0)
        }
        while position < utf8.count {
            guard let match = longestMatch(utf8, at: position, skipSpecial: skipSpecial) else {
                position += 1
                continue
            }
            var start = position
            var stop = position + match.bytes.count
            if match.token.lstrip {
                var newStart = start
                while newStart > emitted, isSpace(utf8[newStart - 1]) { newStart -= 1 }
                start = newStart
            }
            if match.token.rstrip {
                while stop < utf8.count, isSpace(utf8[stop]) { stop += 1 }
            }
            if emitted < start { segments.append(.text(piece(emitted..<start))) }
            segments.append(.token(match.token.id))
            emitted = stop
            position = stop
        }
        if emitted < utf8.count { segments.append(.text(piece(emitted..<utf8.count))) }
        return segments
    }

    private func longestMatch(_ utf8: UnsafeBufferPointer<UInt8>, at position: Int, skipSpecial: Bool) -> (token: AddedToken, bytes: [UInt8])? {
        let candidates = byFirstByte[Int(utf8[position])]
        guard !candidates.isEmpty else { return nil }
        for candidate in candidates where !(skipSpecial && candidate.token.special) {
            let end = position + candidate.bytes.count
            guard end <= utf8.count, UnsafeBufferPointer(rebasing: utf8[position..<end]).elementsEqual(candidate.bytes) else { continue }
            if candidate.token.singleWord {
                let wordBefore = position > 0 && isWordByte(utf8[position - 1])
                let wordAfter = end < utf8.count && isWordByte(utf8[end])
                if wordBefore || wordAfter { continue }
            }
            return candidate
        }
        return nil
    }

    private func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || (0x09...0x0D).contains(byte)
    }

    private func isWordByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x5F || byte >= 0x80
    }
}
