/// The llama.cpp pre-tokenizer regexes that are a run of one character class: `[...]+`,
/// `\p{X}+`, `\s?[...]+`, and `\s+$`. llama.cpp runs these with `std::regex` (ECMAScript),
/// and this matches as it does:
///
/// - A pattern that names a Unicode category (`\p{L}`, `\p{N}`, `\p{P}`, `\p{M}`, `\p{S}`;
///   `\p{Lu}` and the other letter subcategories all mean `\p{L}`) is matched against text
///   in which every non-ASCII scalar stands for its category, so a bracket class holds ASCII
///   characters and categories; the ASCII members of a category are its ASCII characters.
/// - Any other pattern compares scalar values, except that non-ASCII whitespace no longer
///   is itself but U+000B, so `\s` matches it and a class range containing it does not.
/// - `\s` is ASCII whitespace (tab to carriage return, space) and so, with the above, all
///   White_Space.
struct LlamaClassPattern: Sendable {
    private enum Shape: Sendable {
        case run
        case spaceThenRun
        case trailingWhitespace
    }

    private struct CharacterClass: Sendable {
        var ranges: [ClosedRange<UInt32>] = []
        var categories: LlamaUnicode.Flags = []
    }

    private let shape: Shape
    private let characterClass: CharacterClass
    /// Whether the pattern names a category, which makes llama.cpp match categories.
    private let byCategory: Bool

    init?(pattern: String) {
        var scalars = Array(pattern.unicodeScalars)[...]
        if pattern == #"\s+$"# {
            shape = .trailingWhitespace
            characterClass = CharacterClass()
            byCategory = false
            return
        }
        if scalars.starts(with: #"\s?"#.unicodeScalars) {
            shape = .spaceThenRun
            scalars = scalars.dropFirst(3)
        } else {
            shape = .run
        }
        guard scalars.last == "+", let parsed = Self.parseAtom(scalars.dropLast()) else { return nil }
        characterClass = parsed.characterClass
        byCategory = parsed.byCategory
    }

    /// Calls `body` with the byte range of each match and of each stretch between matches in
    /// `utf8`, in order, and whether it is a match.
    func forEachPiece(in utf8: UnsafeBufferPointer<UInt8>, _ body: (Int, Int, Bool) -> Void) {
        var scalars: [(scalar: Unicode.Scalar, offset: Int)] = []
        var decoder = UTF8()
        var iterator = utf8.makeIterator()
        var offset = 0
        while case .scalarValue(let scalar) = decoder.decode(&iterator) {
            scalars.append((scalar, offset))
            offset += UTF8.width(scalar)
        }
        scalars.append((" ", utf8.count))  // the end, never examined as a character
        let count = scalars.count - 1
        var previous = 0
        var position = 0
        while position < count {
            guard let end = matchEnd(scalars, count, at: position) else {
                position += 1
                continue
            }
            if position > previous { body(scalars[previous].offset, scalars[position].offset, false) }
            body(scalars[position].offset, scalars[end].offset, true)
            previous = end
            position = end
        }
        if previous < count { body(scalars[previous].offset, utf8.count, false) }
    }

    private func matchEnd(_ scalars: [(scalar: Unicode.Scalar, offset: Int)], _ count: Int, at start: Int) -> Int? {
        func run(from start: Int) -> Int? {
            var end = start
            while end < count, contains(scalars[end].scalar) { end += 1 }
            return end > start ? end : nil
        }
        switch shape {
        case .run:
            return run(from: start)
        case .spaceThenRun:
            if Self.isSpace(scalars[start].scalar), start + 1 < count, let end = run(from: start + 1) { return end }
            return run(from: start)
        case .trailingWhitespace:
            return scalars[start..<count].allSatisfy { Self.isSpace($0.scalar) } ? count : nil
        }
    }

    private func contains(_ scalar: Unicode.Scalar) -> Bool {
        let flags = LlamaUnicode.flags(scalar)
        // Non-ASCII whitespace reaches the regex as U+000B in both of llama.cpp's modes.
        let value = scalar.value >= 0x80 && flags.contains(.whitespace) ? 0x0B : scalar.value
        if byCategory, value >= 0x80 {
            return !flags.isDisjoint(with: characterClass.categories)
        }
        return characterClass.ranges.contains { $0.contains(value) }
    }

    private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        LlamaUnicode.flags(scalar).contains(.whitespace)
    }

    // MARK: - Parsing

    /// `[...]` or `\p{X}`.
    private static func parseAtom(_ scalars: ArraySlice<Unicode.Scalar>) -> (characterClass: CharacterClass, byCategory: Bool)? {
        var characterClass = CharacterClass()
        var byCategory = false
        if let category = category(scalars) {
            add(category, to: &characterClass)
            return (characterClass, true)
        }
        guard scalars.first == "[", scalars.last == "]", scalars.count > 2, scalars.dropFirst().first != "^" else { return nil }
        var index = scalars.startIndex + 1
        let end = scalars.endIndex - 1
        var members: [UInt32] = []
        while index < end {
            if scalars[index] == "\\", index + 1 < end, scalars[index + 1] == "p" {
                guard let close = scalars[index..<end].firstIndex(of: "}"),
                      let category = category(scalars[index...close])
                else { return nil }
                add(category, to: &characterClass)
                byCategory = true
                index = close + 1
                continue
            }
            var value: UInt32
            if scalars[index] == "\\" {
                guard index + 1 < end, "$+^|\\[]-.*?(){}/`~<=>".unicodeScalars.contains(scalars[index + 1]) else { return nil }
                value = scalars[index + 1].value
                index += 2
            } else {
                value = scalars[index].value
                index += 1
            }
            if index + 1 < end, scalars[index] == "-" {
                let upper = scalars[index + 1]
                guard upper != "\\", upper.value >= value else { return nil }
                characterClass.ranges.append(value...upper.value)
                index += 2
            } else {
                members.append(value)
            }
        }
        characterClass.ranges += members.map { $0...$0 }
        // llama.cpp refuses non-ASCII characters in a pattern that also names categories.
        if byCategory, characterClass.ranges.contains(where: { $0.upperBound >= 0x80 }) { return nil }
        return (characterClass, byCategory)
    }

    private static func category(_ scalars: ArraySlice<Unicode.Scalar>) -> LlamaUnicode.Flags? {
        switch String(String.UnicodeScalarView(scalars)) {
        case #"\p{N}"#: .number
        case #"\p{L}"#, #"\p{Lu}"#, #"\p{Ll}"#, #"\p{Lt}"#, #"\p{Lm}"#, #"\p{Lo}"#: .letter
        case #"\p{P}"#: .punctuation
        case #"\p{M}"#: .accentMark
        case #"\p{S}"#: .symbol
        default: nil
        }
    }

    /// A category's members: non-ASCII scalars by their flags, ASCII ones as llama.cpp lists them.
    private static func add(_ category: LlamaUnicode.Flags, to characterClass: inout CharacterClass) {
        characterClass.categories.formUnion(category)
        characterClass.ranges += (0..<0x80).compactMap { value -> ClosedRange<UInt32>? in
            LlamaUnicode.flags(Unicode.Scalar(UInt8(value))).isDisjoint(with: category) ? nil : UInt32(value)...UInt32(value)
        }
    }
}
