/// The normalization of llama.cpp's Unigram tokenizer (`llm_tokenizer_ugm_session::
/// normalize`): SentencePiece's compiled rules (`precompiled_charsmap`) rewrite the longest
/// matching prefix of the remaining bytes, then spaces are written "▁" (escape_whitespaces),
/// runs of spaces merged and edge spaces dropped (remove_extra_whitespaces), and a space put
/// before the text (add_space_prefix).
///
/// llama.cpp first keeps any user-defined token in the text as it is; here those tokens never
/// reach the normalizer, because the added-token split has already taken them out.
struct LlamaUnigramNormalizer: Normalizer {
    /// The double-array trie of the rules, in darts-clone units.
    private let units: [UInt32]
    /// NUL-terminated replacement strings.
    private let replacements: [UInt8]
    private let space: [UInt8]
    private let addSpacePrefix: Bool
    private let removeExtraWhitespaces: Bool

    init(charsMap: [UInt8], escapeWhitespaces: Bool, addSpacePrefix: Bool, removeExtraWhitespaces: Bool) throws(TokenizerError) {
        if charsMap.isEmpty {
            units = []
            replacements = []
        } else {
            guard charsMap.count >= 4 else { throw Self.invalid("is shorter than its 4-byte header") }
            let trieSize = Int(charsMap[0]) | Int(charsMap[1]) << 8 | Int(charsMap[2]) << 16 | Int(charsMap[3]) << 24
            guard trieSize + 4 < charsMap.count else {
                throw Self.invalid("declares a \(trieSize)-byte trie but holds \(charsMap.count - 4) bytes")
            }
            units = stride(from: 4, to: 4 + trieSize / 4 * 4, by: 4).map { offset in
                UInt32(charsMap[offset]) | UInt32(charsMap[offset + 1]) << 8
                    | UInt32(charsMap[offset + 2]) << 16 | UInt32(charsMap[offset + 3]) << 24
            }
            replacements = Array(charsMap[(4 + trieSize)...])
            // Then every replacement a rule can point to is terminated.
            guard replacements.last == 0 else { throw Self.invalid("ends inside a replacement string") }
        }
        space = escapeWhitespaces ? Array("▁".utf8) : [0x20]
        self.addSpacePrefix = addSpacePrefix
        self.removeExtraWhitespaces = removeExtraWhitespaces
    }

    private static func invalid(_ reason: String) -> TokenizerError {
        .invalid(component: "GGUF tokenizer.ggml.precompiled_charsmap", reason: reason)
    }

    func normalize(_ text: String) -> String {
        var text = text
        return text.withUTF8 { input in
            var output: [UInt8] = []
            output.reserveCapacity(input.count * 3)
            var spacePrepended = false
            var inWord = false
            var offset = 0
            while offset < input.count {
                let (replacement, consumed) = rewrite(input, at: offset)
                for byte in replacement {
                    if byte != 0x20 {
                        if !inWord {
                            inWord = true
                            if (addSpacePrefix && !spacePrepended) || removeExtraWhitespaces {
                                output += space
                                spacePrepended = true
                            }
                        }
                        output.append(byte)
                    } else {
                        inWord = false
                        if !removeExtraWhitespaces { output += space }
                    }
                }
                offset += consumed
            }
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// The rewrite of the longest rule matching `input[offset...]` and the bytes it covers;
    /// without one, the next character unchanged.
    private func rewrite(_ input: UnsafeBufferPointer<UInt8>, at offset: Int) -> (ArraySlice<UInt8>, Int) {
        var matched = 0
        var value = 0
        if let root = units.first {
            var node = Self.base(root)
            for position in offset..<input.count {
                let byte = input[position]
                if byte == 0 { break }
                node ^= Int(byte)
                guard node < units.count, units[node] & (1 << 31 | 0xFF) == UInt32(byte) else { break }
                let isLeaf = (units[node] >> 8) & 1 == 1
                node ^= Self.base(units[node])
                guard node < units.count else { break }
                if isLeaf {
                    matched = position - offset + 1
                    value = Int(units[node] & 0x7FFF_FFFF)
                }
            }
        }
        if matched > 0, value < replacements.count {
            let end = replacements[value...].firstIndex(of: 0)!
            return (replacements[value..<end], matched)
        }
        let length = min(LlamaUnicode.sequenceLength(input[offset]), input.count - offset)
        return (ArraySlice(UnsafeBufferPointer(rebasing: input[offset..<offset + length])), length)
    }

    private static func base(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }
}
