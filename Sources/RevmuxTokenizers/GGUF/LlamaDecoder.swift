/// Text from tokens as llama.cpp's `llama_detokenize` gives it: control, unknown and
/// user-defined tokens as written; byte tokens (<0xXX>) as their byte; other normal tokens
/// with "▁" read as a space, or through GPT-2's character-to-byte table for byte-level BPE.
/// With add_space_prefix the first token loses one leading space, and where the vocabulary
/// asks for it (clean_up_tokenization_spaces) llama.cpp's three passes remove the spaces
/// before ? ! . , and before 's 'm 're 've, and around a lone apostrophe.
struct LlamaDecoder: TokenDecoder {
    /// Finds a token's id, to know its attributes.
    private let model: any TokenModel
    private let attributes: [GGUFVocabulary.Attributes]
    private let byteLevel: Bool
    private let stripLeadingSpace: Bool
    private let cleanSpaces: Bool

    init(_ vocabulary: GGUFVocabulary, model: any TokenModel) {
        self.model = model
        attributes = vocabulary.attributes
        byteLevel = vocabulary.kind == .bytePair && !vocabulary.escapeWhitespaces
        stripLeadingSpace = vocabulary.addSpacePrefix
        cleanSpaces = vocabulary.cleanSpaces
    }

    func decode(_ tokens: [String]) -> [String] {
        var text: [UInt8] = []
        for (index, token) in tokens.enumerated() {
            let start = text.count
            append(token, to: &text)
            if index == 0, stripLeadingSpace, text.count > start, text[start] == 0x20 { text.remove(at: start) }
        }
        if cleanSpaces { text = Self.cleanedSpaces(text) }
        return [String(decoding: text, as: UTF8.self)]
    }

    private func append(_ token: String, to text: inout [UInt8]) {
        let attributes = model.id(of: token).map { self.attributes[$0] } ?? .control
        if !attributes.isDisjoint(with: [.control, .unknown, .userDefined]) {
            text += token.utf8
        } else if attributes.contains(.normal) {
            if byteLevel {
                appendByteLevel(token, to: &text)
            } else {
                text += LlamaUnicode.replacing("▁", with: " ", in: token).utf8
            }
        } else if attributes.contains(.byte) {
            let hex = token.utf8.dropFirst(3).prefix(2)
            if let byte = UInt8(String(decoding: hex, as: UTF8.self), radix: 16) { text.append(byte) }
        }
        // Unused and undefined tokens read as nothing.
    }

    /// `llama_decode_text`: a character outside GPT-2's table is written out as
    /// "[UNK_BYTE_0x<its UTF-8 in hex><the token>]".
    private func appendByteLevel(_ token: String, to text: inout [UInt8]) {
        for scalar in token.unicodeScalars {
            if let byte = ByteLevelAlphabet.byte(of: scalar) {
                text.append(byte)
            } else {
                let hex = String(scalar).utf8.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
                text += "[UNK_BYTE_0x\(hex)\(token)]".utf8
            }
        }
    }

    /// llama.cpp's clean_spaces passes, each over the result of the previous one.
    static func cleanedSpaces(_ input: [UInt8]) -> [UInt8] {
        let space = UInt8(ascii: " ")
        let apostrophe = UInt8(ascii: "'")
        guard !input.isEmpty else { return input }
        // " ?", " !", " .", " ,": the space goes.
        var text = [input[0]]
        for index in input.indices.dropFirst() {
            if input[index - 1] == space, "?!.,".utf8.contains(input[index]) { text.removeLast() }
            text.append(input[index])
        }
        // " ' ": both spaces go.
        var source = text
        text = [source[0]]
        var index = 1
        while index < source.count {
            let byte = source[index]
            if byte == apostrophe, index + 1 < source.count, source[index - 1] == space, source[index + 1] == space {
                text.removeLast()
                text.append(byte)
                source[index + 1] = 0  // so the next byte's check sees no space
                index += 2
                continue
            }
            text.append(byte)
            index += 1
        }
        // " 's", " 'm", " 're", " 've": the space goes (not before 't, 'd or 'll).
        source = text
        text = [source[0]]
        for index in source.indices.dropFirst() {
            if source[index - 1] == space, source[index] == apostrophe, index + 1 < source.count {
                let next = source[index + 1]
                let pair = index + 2 < source.count ? (next, source[index + 2]) : nil
                if next == UInt8(ascii: "s") || next == UInt8(ascii: "m")
                    || (next != UInt8(ascii: "t") && next != UInt8(ascii: "d")
                        && (pair.map { $0 == (UInt8(ascii: "r"), UInt8(ascii: "e")) || $0 == (UInt8(ascii: "v"), UInt8(ascii: "e")) } ?? false))
                {
                    text.removeLast()
                }
            }
            text.append(source[index])
        }
        return text
    }
}
