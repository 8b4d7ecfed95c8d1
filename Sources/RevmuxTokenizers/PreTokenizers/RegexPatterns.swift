/// The pre-tokenizer regexes of byte-level BPE tokenizers, as hand-written matchers.
///
/// `tokenizers` compiles these patterns with Oniguruma; a general regex engine would be
/// slow and would differ from it in corners (case folding, Unicode version). Instead a
/// pattern is recognised by its exact text and dispatched to a matcher that reproduces
/// Oniguruma's leftmost-first backtracking result for that pattern (so `tokenizers`'
/// result: llama.cpp's own regex code may differ in corners, such as its Unicode tables).
/// `RegexSplitter.known` lists the spellings implemented, from tokenizer.json files and
/// from llama.cpp's `llama-vocab.cpp`.
public struct RegexSplitter: Sendable {
    enum Matcher: Sendable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)`, then `|\s+`
        /// when `trailingWhitespace`.
        case gpt2(trailingWhitespace: Bool)
        /// The cl100k / LLaMA-3 family: optional contractions, `[^\r\n\p{L}\p{N}]?\p{L}+`,
        /// `\p{N}{1,maxDigits}`, ` ?[^\s\p{L}\p{N}]+[\r\n]*`, `\s*[\r\n]+|\s+(?!\S)|\s+`.
        /// `marks` puts \p{M} with the letters (Qwen3.5).
        case cl100k(contractions: Contractions?, maxDigits: Int, marks: Bool)
        /// The o200k / Tekken family: words split by case,
        /// `[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` then the same with
        /// `+` and `*` swapped, each followed by optional contractions; `\p{N}{1,maxDigits}`,
        /// ` ?[^\s\p{L}\p{N}]+[\r\n/]*`, `\s*[\r\n]+|\s+(?!\S)|\s+`.
        case o200k(contractions: Contractions?, maxDigits: Int)
        /// A run of one or more scalars of a class, at most `maxCount` long.
        case run(ScalarClass, maxCount: Int)
        /// `\s?` followed by a run of a class.
        case spaceThenRun(ScalarClass)
        /// A literal string (Split's `{"String": ...}` pattern).
        case literal([UInt8])
        /// `[0-9][0-9][0-9]`.
        case threeASCIIDigits
        /// `[^\n]+|[\n]+`.
        case lines
        /// `[\r\n]`.
        case newline
    }

    /// How `'s|'t|'re|'ve|'m|'ll|'d` compares letters.
    enum Contractions: Sendable {
        case caseSensitive
        /// `'[sS]|'[tT]|...`, llama.cpp's rewrite of the case-insensitive group.
        case asciiCaseInsensitive
        /// `(?i:'s|...)`: Oniguruma's case folding, where U+017F (ſ) also matches s.
        case caseInsensitive
    }

    let matcher: Matcher

    /// nil when the pattern is not one we implement.
    public init?(pattern: String) {
        guard let matcher = Self.known[pattern] else { return nil }
        self.matcher = matcher
    }

    /// A matcher for a literal string (non-empty).
    public init?(literal: String) {
        guard !literal.isEmpty else { return nil }
        matcher = .literal(Array(literal.utf8))
    }

    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#
    private static let llamaTail = #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let qwenTail = #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let qwen35Tail = #"|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let lowerWordPattern = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"#
    private static let upperWordPattern = #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"#
    private static let o200kTail = #"| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let foldedContractions = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)"#
    private static let asciiContractions = #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"#

    /// Every pattern spelling we implement.
    static let known: [String: Matcher] = [
        // GPT-2 as llama.cpp spells it, and as tokenizers' ByteLevel has it.
        gpt2Pattern: .gpt2(trailingWhitespace: false),
        gpt2Pattern + #"|\s+"#: .gpt2(trailingWhitespace: true),
        // LLaMA-3 and cl100k; Qwen2 (single digits); Qwen3.5 (marks in words). The
        // (?i:...) spelling is tokenizer.json's, the [sS] one llama.cpp's.
        foldedContractions + llamaTail: .cl100k(contractions: .caseInsensitive, maxDigits: 3, marks: false),
        asciiContractions + llamaTail: .cl100k(contractions: .asciiCaseInsensitive, maxDigits: 3, marks: false),
        foldedContractions + qwenTail: .cl100k(contractions: .caseInsensitive, maxDigits: 1, marks: false),
        asciiContractions + qwenTail: .cl100k(contractions: .asciiCaseInsensitive, maxDigits: 1, marks: false),
        String(qwenTail.dropFirst()): .cl100k(contractions: nil, maxDigits: 1, marks: false),
        foldedContractions + qwen35Tail: .cl100k(contractions: .caseInsensitive, maxDigits: 1, marks: true),
        asciiContractions + qwen35Tail: .cl100k(contractions: .asciiCaseInsensitive, maxDigits: 1, marks: true),
        // o200k (GPT-4o), its llama.cpp spelling for Tiny Aya, and Mistral's Tekken.
        lowerWordPattern + foldedContractions + "?|" + upperWordPattern + foldedContractions + "?" + #"|\p{N}{1,3}"# + o200kTail:
            .o200k(contractions: .caseInsensitive, maxDigits: 3),
        lowerWordPattern + asciiContractions + "?|" + upperWordPattern + asciiContractions + "?" + #"|\p{N}{1,3}"# + o200kTail:
            .o200k(contractions: .asciiCaseInsensitive, maxDigits: 3),
        lowerWordPattern + "|" + upperWordPattern + #"|\p{N}"# + o200kTail: .o200k(contractions: nil, maxDigits: 1),
        // Parts of llama.cpp's multi-regex pre-tokenizers (DeepSeek, Falcon, StarCoder, ...).
        #"\p{N}"#: .run(.number, maxCount: 1),
        #"\p{N}{1,3}"#: .run(.number, maxCount: 3),
        #"\p{N}+"#: .run(.number, maxCount: .max),
        #"\S+"#: .run(.notWhitespace, maxCount: .max),
        #"\s?\p{L}+"#: .spaceThenRun(.letter),
        #"\s?\p{P}+"#: .spaceThenRun(.punctuation),
        #"[0-9][0-9][0-9]"#: .threeASCIIDigits,
        #"[^\n]+|[\n]+"#: .lines,
        "[\r\n]": .newline,
        #"[\r\n]"#: .newline,
    ]

    /// The matches of the pattern in `text`, leftmost-first and non-overlapping, as
    /// Oniguruma's `find_iter` gives them.
    public func matches(in text: Substring) -> [Range<String.Index>] {
        var ranges: [Range<String.Index>] = []
        forEachPiece(in: text) { range, isMatch in
            if isMatch { ranges.append(range) }
        }
        return ranges
    }

    /// `text` cut at the match boundaries: every match and every stretch between matches,
    /// in order (what `tokenizers` keeps with the Isolated behaviour, and llama.cpp keeps).
    public func split(_ text: Substring) -> [Range<String.Index>] {
        var pieces: [Range<String.Index>] = []
        forEachPiece(in: text) { range, _ in pieces.append(range) }
        return pieces
    }

    private func forEachPiece(in text: Substring, _ body: (Range<String.Index>, Bool) -> Void) {
        var contiguous = text
        contiguous.withUTF8 { utf8 in
            forEachPiece(in: utf8) { start, end, isMatch in
                let lower = text.utf8.index(text.startIndex, offsetBy: start)
                body(lower..<text.utf8.index(lower, offsetBy: end - start), isMatch)
            }
        }
    }

    /// Calls `body` with the byte range of each match and of each stretch between matches
    /// in `utf8` (valid UTF-8), in order, and whether it is a match.
    func forEachPiece(in utf8: UnsafeBufferPointer<UInt8>, _ body: (Int, Int, Bool) -> Void) {
        ScalarClass.withTable { table in
            let text = ScalarText(bytes: utf8, table: table)
            var position = 0
            var previous = 0
            while position < utf8.count {
                guard let end = matchEnd(text, at: position) else {
                    position += text.length(at: position)
                    continue
                }
                if previous < position { body(previous, position, false) }
                body(position, end, true)
                position = end
                previous = end
            }
            if previous < utf8.count { body(previous, utf8.count, false) }
        }
    }

    /// Where a match starting at `start` ends, or nil when none starts there. Every
    /// pattern here matches at least one scalar, so empty matches never arise.
    private func matchEnd(_ text: ScalarText, at start: Int) -> Int? {
        switch matcher {
        case .gpt2(let trailingWhitespace):
            return text.gpt2(at: start, trailingWhitespace: trailingWhitespace)
        case .cl100k(let contractions, let maxDigits, let marks):
            return text.cl100k(at: start, contractions: contractions, maxDigits: maxDigits, marks: marks)
        case .o200k(let contractions, let maxDigits):
            return text.o200k(at: start, contractions: contractions, maxDigits: maxDigits)
        case .run(let scalarClass, let maxCount):
            return text.run(from: start, of: scalarClass, maxCount: maxCount)
        case .spaceThenRun(let scalarClass):
            let (value, length) = text.scalar(at: start)
            if text.class(of: value).contains(.whitespace), start + length < text.count,
                let end = text.run(from: start + length, of: scalarClass, maxCount: .max)
            {
                return end
            }
            return text.run(from: start, of: scalarClass, maxCount: .max)
        case .literal(let literal):
            guard start + literal.count <= text.count else { return nil }
            for index in literal.indices where text.bytes[start + index] != literal[index] { return nil }
            return start + literal.count
        case .threeASCIIDigits:
            guard start + 3 <= text.count else { return nil }
            for index in start..<start + 3 where !(0x30...0x39).contains(text.bytes[index]) { return nil }
            return start + 3
        case .lines:
            let newline = text.bytes[start] == 0x0A
            var end = start
            while end < text.count, (text.bytes[end] == 0x0A) == newline { end += 1 }
            return end
        case .newline:
            let byte = text.bytes[start]
            return byte == 0x0A || byte == 0x0D ? start + 1 : nil
        }
    }
}

/// Valid UTF-8 with the class of each scalar at hand.
private struct ScalarText {
    let bytes: UnsafeBufferPointer<UInt8>
    let table: UnsafeBufferPointer<ScalarClass>

    var count: Int { bytes.count }

    @inline(__always)
    func length(at index: Int) -> Int {
        let lead = bytes[index]
        return lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
    }

    @inline(__always)
    func scalar(at index: Int) -> (value: UInt32, length: Int) {
        let lead = UInt32(bytes[index])
        if lead < 0x80 { return (lead, 1) }
        @inline(__always) func continuation(_ offset: Int) -> UInt32 { UInt32(bytes[index + offset] & 0x3F) }
        if lead < 0xE0 { return ((lead & 0x1F) << 6 | continuation(1), 2) }
        if lead < 0xF0 { return ((lead & 0x0F) << 12 | continuation(1) << 6 | continuation(2), 3) }
        return ((lead & 0x07) << 18 | continuation(1) << 12 | continuation(2) << 6 | continuation(3), 4)
    }

    @inline(__always)
    func `class`(of value: UInt32) -> ScalarClass {
        value < UInt32(table.count) ? table[Int(value)] : ScalarClass(computing: value)
    }

    @inline(__always)
    func classAt(_ index: Int) -> ScalarClass {
        `class`(of: scalar(at: index).value)
    }

    /// The end of the run of scalars in `scalarClass` starting at `start`, at most
    /// `maxCount` long; nil when the scalar at `start` is not in it.
    @inline(__always)
    func run(from start: Int, of scalarClass: ScalarClass, maxCount: Int) -> Int? {
        var end = start
        var count = 0
        while end < bytes.count, count < maxCount {
            let (value, length) = scalar(at: end)
            guard !`class`(of: value).isDisjoint(with: scalarClass) else { break }
            end += length
            count += 1
        }
        return end == start ? nil : end
    }

    /// The end of `'s|'t|'re|'ve|'m|'ll|'d` when the apostrophe is at `start`.
    func contraction(at start: Int, _ contractions: RegexSplitter.Contractions) -> Int? {
        func letter(_ index: Int) -> (UInt32, Int)? {
            guard index < bytes.count else { return nil }
            let (value, length) = scalar(at: index)
            switch contractions {
            case .caseSensitive: return (value, length)
            case .asciiCaseInsensitive: return ((0x41...0x5A).contains(value) ? value | 0x20 : value, length)
            case .caseInsensitive:
                if value == 0x17F { return (0x73, length) }  // ſ folds to s
                return ((0x41...0x5A).contains(value) ? value | 0x20 : value, length)
            }
        }
        let afterQuote = start + 1
        guard let (first, firstLength) = letter(afterQuote) else { return nil }
        switch first {
        case 0x73, 0x74, 0x6D, 0x64:  // s t m d
            return afterQuote + firstLength
        case 0x72, 0x76, 0x6C:  // r v l, then e e l
            let second: UInt32 = first == 0x6C ? 0x6C : 0x65
            guard let (next, nextLength) = letter(afterQuote + firstLength), next == second else { return nil }
            return afterQuote + firstLength + nextLength
        default:
            return nil
        }
    }

    /// The end of the whitespace run at `start` under `\s+(?!\S)`, falling back to `\s+`
    /// when `trailingWhitespace`: a run followed by a non-space gives back its last scalar.
    @inline(__always)
    func whitespace(at start: Int, trailingWhitespace: Bool) -> Int? {
        var end = start
        var lastStart = start
        while end < bytes.count {
            let (value, length) = scalar(at: end)
            guard `class`(of: value).contains(.whitespace) else { break }
            lastStart = end
            end += length
        }
        if end == bytes.count { return end }
        if lastStart > start { return lastStart }
        return trailingWhitespace ? end : nil
    }

    func gpt2(at start: Int, trailingWhitespace: Bool) -> Int? {
        let (first, firstLength) = scalar(at: start)
        if first == 0x27, let end = contraction(at: start, .caseSensitive) { return end }
        // " ?X+": an optional leading space, kept only if X follows it.
        var body = start
        var bodyClass = `class`(of: first)
        if first == 0x20, start + firstLength < bytes.count {
            body = start + firstLength
            bodyClass = classAt(body)
        }
        if !bodyClass.isDisjoint(with: .letter) { return run(from: body, of: .letter, maxCount: .max) }
        if bodyClass.contains(.number) { return run(from: body, of: .number, maxCount: .max) }
        if !bodyClass.contains(.whitespace) { return run(from: body, of: .notSpaceLetterNumber, maxCount: .max) }
        return whitespace(at: start, trailingWhitespace: trailingWhitespace)
    }

    func cl100k(at start: Int, contractions: RegexSplitter.Contractions?, maxDigits: Int, marks: Bool) -> Int? {
        let (first, firstLength) = scalar(at: start)
        let firstClass = `class`(of: first)
        if first == 0x27, let contractions, let end = contraction(at: start, contractions) { return end }
        let word: ScalarClass = marks ? .letterOrMark : .letter
        let other: ScalarClass = marks ? .notSpaceLetterMarkNumber : .notSpaceLetterNumber
        // [^\r\n\p{L}\p{N}]?\p{L}+ : a scalar in the word class starts the run itself (a
        // leading mark as the optional prefix gives the same match); any other scalar but
        // \r, \n and digits may precede the run.
        if !firstClass.isDisjoint(with: word) { return run(from: start, of: word, maxCount: .max) }
        let next = start + firstLength
        if first != 0x0A, first != 0x0D, !firstClass.contains(.number), next < bytes.count,
            let end = run(from: next, of: word, maxCount: .max)
        {
            return end
        }
        if firstClass.contains(.number) { return run(from: start, of: .number, maxCount: maxDigits) }
        // " ?[^\s\p{L}\p{N}]+[\r\n]*"
        var body = start
        if first == 0x20, next < bytes.count { body = next }
        if let end = run(from: body, of: other, maxCount: .max) {
            return run(from: end, of: .lineBreak, maxCount: .max) ?? end
        }
        return cl100kWhitespace(at: start)
    }

    /// `\s*[\r\n]+|\s+(?!\S)|\s+` at `start`, which is whitespace. The first ends after
    /// the run's last \r or \n.
    func cl100kWhitespace(at start: Int) -> Int {
        var end = start
        var lastStart = start
        var afterLastBreak: Int?
        while end < bytes.count {
            let (value, length) = scalar(at: end)
            guard `class`(of: value).contains(.whitespace) else { break }
            lastStart = end
            end += length
            if value == 0x0A || value == 0x0D { afterLastBreak = end }
        }
        if let afterLastBreak { return afterLastBreak }
        // "\s+(?!\S)|\s+"
        if end == bytes.count || lastStart == start { return end }
        return lastStart
    }
}

extension ScalarText {
    func o200k(at start: Int, contractions: RegexSplitter.Contractions?, maxDigits: Int) -> Int? {
        let (first, firstLength) = scalar(at: start)
        let firstClass = `class`(of: first)
        // [^\r\n\p{L}\p{N}]? : a prefix is tried first, then the word without it.
        let next = start + firstLength
        let prefixed = first != 0x0A && first != 0x0D && firstClass.isDisjoint(with: .letter)
            && !firstClass.contains(.number) && next < bytes.count
        func withContraction(_ end: Int) -> Int {
            guard let contractions, end < bytes.count, bytes[end] == 0x27 else { return end }
            return contraction(at: end, contractions) ?? end
        }
        if let end = (prefixed ? lowerWord(from: next) : nil) ?? lowerWord(from: start) {
            return withContraction(end)
        }
        if let end = (prefixed ? upperWord(from: next) : nil) ?? upperWord(from: start) {
            return withContraction(end)
        }
        if firstClass.contains(.number) { return run(from: start, of: .number, maxCount: maxDigits) }
        // " ?[^\s\p{L}\p{N}]+[\r\n/]*"
        let body = first == 0x20 && next < bytes.count ? next : start
        if let end = run(from: body, of: .notSpaceLetterNumber, maxCount: .max) {
            var tail = end
            while tail < bytes.count, bytes[tail] == 0x0A || bytes[tail] == 0x0D || bytes[tail] == 0x2F { tail += 1 }
            return tail
        }
        return cl100kWhitespace(at: start)
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+` at `start`. The first run
    /// is greedy; if no lower-class scalar follows it, it gives back scalars until its own
    /// last lower-class one (Lm, Lo or M, which are in both classes) ends the match.
    private func lowerWord(from start: Int) -> Int? {
        var end = start
        var afterLastLower: Int?
        while end < bytes.count {
            let (value, length) = scalar(at: end)
            let scalarClass = `class`(of: value)
            guard !scalarClass.isDisjoint(with: .upperClass) else { break }
            end += length
            if !scalarClass.isDisjoint(with: .lowerClass) { afterLastLower = end }
        }
        return run(from: end, of: .lowerClass, maxCount: .max) ?? afterLastLower
    }

    /// `[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*` at `start`.
    private func upperWord(from start: Int) -> Int? {
        guard let end = run(from: start, of: .upperClass, maxCount: .max) else { return nil }
        return run(from: end, of: .lowerClass, maxCount: .max) ?? end
    }
}

/// The Unicode properties the patterns test, per scalar, as Oniguruma sees them.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt16
    init(rawValue: UInt16) { self.rawValue = rawValue }

    static let uppercaseLetter = ScalarClass(rawValue: 1 << 0)
    static let lowercaseLetter = ScalarClass(rawValue: 1 << 1)
    static let titlecaseLetter = ScalarClass(rawValue: 1 << 2)
    static let modifierLetter = ScalarClass(rawValue: 1 << 3)
    static let otherLetter = ScalarClass(rawValue: 1 << 4)
    static let mark = ScalarClass(rawValue: 1 << 5)
    static let number = ScalarClass(rawValue: 1 << 6)
    /// The White_Space property, which is Oniguruma's \s.
    static let whitespace = ScalarClass(rawValue: 1 << 7)
    static let punctuation = ScalarClass(rawValue: 1 << 8)
    /// \r or \n.
    static let lineBreak = ScalarClass(rawValue: 1 << 9)
    /// Anything not in \s, \p{L} or \p{N}: GPT-2's `[^\s\p{L}\p{N}]`.
    static let notSpaceLetterNumber = ScalarClass(rawValue: 1 << 10)
    /// Anything not in \s: `\S`.
    static let notWhitespace = ScalarClass(rawValue: 1 << 11)
    /// Anything not in \s, \p{L}, \p{M} or \p{N}.
    static let notSpaceLetterMarkNumber = ScalarClass(rawValue: 1 << 12)

    static let letter: ScalarClass = [uppercaseLetter, lowercaseLetter, titlecaseLetter, modifierLetter, otherLetter]
    static let letterOrMark: ScalarClass = letter.union(.mark)
    /// [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] and [\p{Ll}\p{Lm}\p{Lo}\p{M}].
    static let upperClass: ScalarClass = [uppercaseLetter, titlecaseLetter, modifierLetter, otherLetter, mark]
    static let lowerClass: ScalarClass = [lowercaseLetter, modifierLetter, otherLetter, mark]

    /// Oniguruma in `tokenizers` 0.23 has Unicode 16 tables; the Swift runtime may know a
    /// newer version, whose new scalars Oniguruma treats as unassigned.
    private static let unicodeMajorVersion = 16

    init(computing value: UInt32) {
        guard let scalar = Unicode.Scalar(value) else {
            self = [.notSpaceLetterNumber, .notWhitespace, .notSpaceLetterMarkNumber]
            return
        }
        let properties = scalar.properties
        var result: ScalarClass = []
        if let age = properties.age, age.major <= Self.unicodeMajorVersion {
            switch properties.generalCategory {
            case .uppercaseLetter: result = .uppercaseLetter
            case .lowercaseLetter: result = .lowercaseLetter
            // Unicode 17 moved U+0295 (ʕ) from Ll to Lo.
            case .otherLetter: result = value == 0x295 ? .lowercaseLetter : .otherLetter
            case .titlecaseLetter: result = .titlecaseLetter
            case .modifierLetter: result = .modifierLetter
            case .nonspacingMark, .spacingMark, .enclosingMark: result = .mark
            case .decimalNumber, .letterNumber, .otherNumber: result = .number
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                .initialPunctuation, .finalPunctuation, .otherPunctuation:
                result = .punctuation
            default: break
            }
            if properties.isWhitespace { result.insert(.whitespace) }
        }
        if value == 0x0A || value == 0x0D { result.insert(.lineBreak) }
        if result.isDisjoint(with: [.whitespace, .number]) && result.isDisjoint(with: .letter) {
            result.insert(.notSpaceLetterNumber)
            if !result.contains(.mark) { result.insert(.notSpaceLetterMarkNumber) }
        }
        if !result.contains(.whitespace) { result.insert(.notWhitespace) }
        self = result
    }

    /// Classes of the Basic Multilingual Plane, computed once; other planes are computed
    /// on each look-up.
    private static let basicPlane: [ScalarClass] = (0..<0x10000).map { ScalarClass(computing: UInt32($0)) }

    static func withTable<R>(_ body: (UnsafeBufferPointer<ScalarClass>) -> R) -> R {
        basicPlane.withUnsafeBufferPointer(body)
    }
}
