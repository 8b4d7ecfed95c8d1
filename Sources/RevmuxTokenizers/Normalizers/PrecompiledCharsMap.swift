/// SentencePiece's compiled normalization rules (`precompiled_charsmap`): a little-endian u32
/// byte size, a darts-clone double-array trie of that size over the UTF-8 strings to rewrite,
/// and then a blob of NUL-terminated replacements the trie's values point into.
struct PrecompiledCharsMap: Sendable {
    private let units: [UInt32]
    private let replacements: [UInt8]

    init(_ bytes: [UInt8]) throws(TokenizerError) {
        guard bytes.count >= 4 else { throw Self.invalid("is shorter than its 4-byte header") }
        let trieSize = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        // The trie is read as whole u32 units, and a trailing partial one is ignored, as
        // `tokenizers` does.
        guard trieSize / 4 * 4 <= bytes.count - 4 else {
            throw Self.invalid("declares a \(trieSize)-byte trie but holds \(bytes.count - 4) bytes")
        }
        let unitCount = trieSize / 4
        units = (0..<unitCount).map { index in
            let offset = 4 + index * 4
            return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
        }
        replacements = Array(bytes[(4 + unitCount * 4)...])
        guard String(validating: replacements, as: UTF8.self) != nil else {
            throw Self.invalid("has replacement strings that are not UTF-8")
        }
    }

    private static func invalid(_ reason: String) -> TokenizerError {
        .invalid(component: "Precompiled normalizer", reason: "precompiled_charsmap \(reason)")
    }

    /// The replacement of the shortest key that is a prefix of `key` (which stops at a NUL
    /// byte), as a range of the replacement blob; nil when no key matches.
    ///
    /// Shortest, not longest: `tokenizers` takes the first match of a common-prefix search.
    /// SentencePiece itself takes the longest, and reads past grapheme boundaries, which
    /// `tokenizers` does not.
    func shortestMatch(_ key: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        units.withUnsafeBufferPointer { units -> Range<Int>? in
            guard !units.isEmpty else { return nil }
            var node = Self.offset(units[0])
            for byte in key {
                if byte == 0 { return nil }
                node ^= Int(byte)
                guard node < units.count else { return nil }
                let unit = units[node]
                guard Self.label(unit) == UInt32(byte) else { return nil }
                node ^= Self.offset(unit)
                guard node < units.count else { return nil }
                if Self.hasLeaf(unit) { return replacement(at: Int(units[node] & 0x7FFF_FFFF)) }
            }
            return nil
        }
    }

    /// The replacement starting at `start`: up to the next NUL, or the end of the blob.
    func replacement(at start: Int) -> Range<Int>? {
        guard start <= replacements.count else { return nil }
        let end = replacements[start...].firstIndex(of: 0) ?? replacements.count
        return start..<end
    }

    func withReplacements<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        replacements.withUnsafeBufferPointer(body)
    }

    // darts-clone's unit layout.
    private static func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
    private static func label(_ unit: UInt32) -> UInt32 { unit & (1 << 31 | 0xFF) }
    private static func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
}
