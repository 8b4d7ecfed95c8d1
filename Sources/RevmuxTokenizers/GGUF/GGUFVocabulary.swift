import RevmuxFormats

/// The vocabulary a GGUF file describes in its `tokenizer.ggml.*` metadata, read as
/// llama.cpp's `llama_vocab::impl::load` reads it: the same defaults per tokenizer model,
/// the same overrides, and the same token attributes (including the ones llama.cpp infers
/// from token texts and model names).
struct GGUFVocabulary: Sendable {
    /// llama.cpp's vocabulary types, by `tokenizer.ggml.model`.
    enum Kind: Sendable {
        /// "llama": SentencePiece BPE driven by token scores.
        case sentencePiece
        /// "gpt2" (byte-level BPE with merges) and "gemma4" (BPE over raw UTF-8).
        case bytePair
        /// "bert": WordPiece over ▁-prefixed words.
        case wordPiece
        /// "t5": Unigram with SentencePiece's normalization rules.
        case unigram
    }

    /// llama.cpp's `llama_token_attr`.
    struct Attributes: OptionSet, Sendable {
        let rawValue: UInt16
        static let unknown = Attributes(rawValue: 1 << 0)
        static let unused = Attributes(rawValue: 1 << 1)
        static let normal = Attributes(rawValue: 1 << 2)
        static let control = Attributes(rawValue: 1 << 3)
        static let userDefined = Attributes(rawValue: 1 << 4)
        static let byte = Attributes(rawValue: 1 << 5)
        static let lstrip = Attributes(rawValue: 1 << 7)
        static let rstrip = Attributes(rawValue: 1 << 8)

        /// Tokens matched in the text before the model runs.
        static let matchedInText: Attributes = [.control, .userDefined, .unknown]
        /// Tokens only matched when special tokens are parsed.
        static let special: Attributes = [.control, .unknown]

        /// From a `tokenizer.ggml.token_type` value (gguf-py's `TokenType`).
        init(tokenType: Int32) {
            switch tokenType {
            case 1: self = .normal
            case 2: self = .unknown
            case 3: self = .control
            case 4: self = .userDefined
            case 5: self = .unused
            case 6: self = .byte
            default: self = []  // undefined
            }
        }

        init(rawValue: UInt16) { self.rawValue = rawValue }
    }

    let kind: Kind
    /// `tokenizer.ggml.model` and `tokenizer.ggml.pre` ("default" when absent).
    let model: String
    let pre: String
    let tokens: [String]
    let scores: [Float]
    var attributes: [Attributes]
    /// "left right" pairs, by rank (BPE only).
    let merges: [String]
    let precompiledCharsMap: [UInt8]

    var bos: Int?
    var eos: Int?
    var unknown: Int?
    var separator: Int?
    var padding: Int?
    var mask: Int?

    var addSpacePrefix = false
    var addBOS = false
    var addEOS = false
    var addSeparator = false
    /// BPE: a word that is itself a token is not merged.
    var ignoreMerges = false
    /// Decoding: llama.cpp's clean_up_tokenization_spaces passes.
    var cleanSpaces = false
    var removeExtraWhitespaces = false
    /// Spaces are written ▁ before the model sees them.
    var escapeWhitespaces = true
    /// WordPiece text normalization.
    var lowercase = true
    var stripAccents = true

    init(_ layout: GGUFLayout) throws(TokenizerError) {
        let reader = MetadataReader(layout: layout)
        guard let model = try reader.string("tokenizer.ggml.model") else {
            throw .invalid(component: "GGUF vocabulary", reason: "the file has no tokenizer.ggml.model")
        }
        self.model = model
        var pre = try reader.string("tokenizer.ggml.pre") ?? "default"

        // Defaults per model, as llama.cpp sets them before reading the file's overrides.
        var defaults: (bos: Int?, eos: Int?, unknown: Int?, separator: Int?, padding: Int?, mask: Int?)
        switch model {
        case "llama":
            kind = .sentencePiece
            defaults = (1, 2, 0, nil, nil, nil)
            addSpacePrefix = true
            addBOS = true
        case "bert":
            kind = .wordPiece
            defaults = (101, nil, 100, 102, 0, 103)
            cleanSpaces = true
            addBOS = true
            addSeparator = true
        case "gpt2", "gemma4":
            kind = .bytePair
            defaults = model == "gpt2" ? (11, 11, nil, nil, nil, nil) : (nil, nil, nil, nil, nil, nil)
            escapeWhitespaces = false
            cleanSpaces = true
            if model == "gemma4" { pre = "gemma4" }
            guard let flags = LlamaPreTokenizer.flags(pre) else {
                throw .unsupported(component: "GGUF pre-tokenizer (tokenizer.ggml.pre)", type: pre)
            }
            ignoreMerges = flags.ignoreMerges
            addBOS = flags.addBOS
            cleanSpaces = flags.cleanSpaces
            addSeparator = flags.addSeparator
            escapeWhitespaces = flags.escapeWhitespaces
            if flags.noBOS { defaults.bos = nil }
        case "t5":
            kind = .unigram
            defaults = (nil, 1, 2, nil, 0, nil)
            addEOS = true
        default:
            throw .unsupported(component: "GGUF tokenizer model", type: model)
        }
        self.pre = pre
        addSpacePrefix = try reader.bool("tokenizer.ggml.add_space_prefix") ?? addSpacePrefix
        removeExtraWhitespaces = try reader.bool("tokenizer.ggml.remove_extra_whitespaces") ?? removeExtraWhitespaces

        guard let tokens = try reader.strings("tokenizer.ggml.tokens") else {
            throw .invalid(component: "GGUF vocabulary", reason: "the file has no tokenizer.ggml.tokens")
        }
        // llama.cpp renames empty tokens so that every token has a text.
        self.tokens = tokens.enumerated().map { $1.isEmpty ? "[EMPTY_\($0)]" : $1 }
        scores = try reader.scores(count: tokens.count) ?? Array(repeating: 0, count: tokens.count)
        attributes = try reader.tokenTypes(count: tokens.count)?.map(Attributes.init(tokenType:))
            ?? Array(repeating: .normal, count: tokens.count)
        if kind == .bytePair {
            guard let merges = try reader.strings("tokenizer.ggml.merges") else {
                throw .invalid(component: "GGUF vocabulary", reason: "a \(model) tokenizer needs tokenizer.ggml.merges")
            }
            self.merges = merges
        } else {
            merges = []
        }
        precompiledCharsMap = kind == .unigram ? try reader.bytes("tokenizer.ggml.precompiled_charsmap") ?? [] : []

        // Special ids: a default outside the vocabulary is dropped; a file's id outside it is ignored.
        func special(_ keys: [String], _ fallback: Int?) throws(TokenizerError) -> Int? {
            var id = fallback.flatMap { $0 < tokens.count ? $0 : nil }
            for key in keys {
                if let value = try reader.integer(key) {
                    if value >= 0, value < tokens.count { id = value }
                    break
                }
            }
            return id
        }
        bos = try special(["tokenizer.ggml.bos_token_id"], defaults.bos)
        eos = try special(["tokenizer.ggml.eos_token_id"], defaults.eos)
        unknown = try special(["tokenizer.ggml.unknown_token_id"], defaults.unknown)
        // llama.cpp's key is misspelt; the correct spelling is accepted too.
        separator = try special(["tokenizer.ggml.seperator_token_id", "tokenizer.ggml.separator_token_id"], defaults.separator)
        padding = try special(["tokenizer.ggml.padding_token_id"], defaults.padding)
        mask = try special(["tokenizer.ggml.mask_token_id"], defaults.mask)

        addBOS = try reader.bool("tokenizer.ggml.add_bos_token") ?? addBOS
        addEOS = try reader.bool("tokenizer.ggml.add_eos_token") ?? addEOS
        addSeparator = try reader.bool("tokenizer.ggml.add_sep_token") ?? addSeparator
        if kind == .bytePair, LlamaPreTokenizer.isGemma4(pre) { addBOS = true }

        lowercase = try reader.bool("tokenizer.ggml.normalizer.lowercase") ?? lowercase
        stripAccents = try reader.bool("tokenizer.ggml.normalizer.strip_accents") ?? lowercase

        // Compared as bytes: String equality would merge canonically equivalent spellings,
        // which are distinct tokens.
        var seen = Set<[UInt8]>(minimumCapacity: tokens.count)
        for token in self.tokens where !seen.insert(Array(token.utf8)).inserted {
            throw .invalid(component: "GGUF vocabulary", reason: "token \"\(token)\" appears twice")
        }
        // A fill-in-the-middle family the file names an id for is not looked up by text.
        var namedFamilies = Set<String>()
        for family in Self.fillInTheMiddle where try special(family.keys, nil) != nil {
            namedFamilies.insert(family.keys[0])
        }
        inferAttributes(generalName: try reader.string("general.name") ?? "",
                        architecture: try reader.string("general.architecture") ?? "",
                        namedFamilies: namedFamilies)
    }

    /// The attributes llama.cpp gives tokens by their text and by the model's name, because
    /// converters did not always mark them.
    private mutating func inferAttributes(generalName: String, architecture: String, namedFamilies: Set<String>) {
        var controlTexts = Self.endOfGeneration
        for family in Self.fillInTheMiddle where !namedFamilies.contains(family.keys[0]) {
            // llama.cpp marks the first spelling of a family it meets, in hash order; no
            // vocabulary holds two, so all are marked here.
            controlTexts.formUnion(family.texts)
        }
        var idsByText: [String: Int] = [:]
        for (id, token) in tokens.enumerated() where controlTexts.contains(token) || Self.renderedTexts.contains(token) {
            idsByText[token] = id
        }
        for (text, id) in idsByText where controlTexts.contains(text) {
            attributes[id].insert(.control)
        }
        for id in attributes.indices where attributes[id].contains(.control) && Self.contains(tokens[id], "unused") {
            attributes[id].insert(.unused)
        }
        // gpt-oss: rendered as text, matched like user-defined tokens.
        for (text, id) in idsByText where Self.renderedTexts.contains(text) {
            attributes[id] = .userDefined
        }
        // o200k_harmony and solar-open end turns with other tokens; their <|end|> is text.
        let has = { (text: String) in idsByText[text] != nil }
        if let end = idsByText["<|end|>"], (has("<|return|>") && has("<|call|>")) || (has("<|calls|>") && has("<|flush|>")) {
            attributes[end] = .userDefined
        }
        // Gemma 4 has an ordinary </s>.
        if let close = idsByText["</s>"], has("<|tool_response>") {
            attributes[close] = .normal
        }

        // llama.cpp lowercases the name byte by byte and looks for byte strings.
        let name = String(decoding: generalName.utf8.map { (0x41...0x5A).contains($0) ? $0 + 0x20 : $0 }, as: UTF8.self)
        if ["jina-v2-de", "jina-v2-es", "jina-v2-code"].contains(where: { Self.contains(pre, $0) })
            || ["nomic-bert-moe", "jina-bert-v3"].contains(where: { Self.contains(architecture, $0) })
        {
            if let mask = tokens.firstIndex(of: "<mask>") { attributes[mask].insert(.lstrip) }
        } else if Self.contains(name, "phi-3") || Self.contains(name, "phi3") {
            for id in attributes.indices where !attributes[id].isDisjoint(with: .matchedInText) {
                attributes[id].insert(.rstrip)
            }
            if let close = idsByText["</s>"] { attributes[close].insert(.rstrip) }
            for text in ["<unk>", "<s>", "<|endoftext|>"] {
                if let id = tokens.firstIndex(of: text) { attributes[id].remove(.rstrip) }
            }
        } else if Self.contains(name, "modern-bert") {
            if let mask = tokens.firstIndex(of: "[MASK]") { attributes[mask].insert(.lstrip) }
        }
    }

    /// Whether `text` holds the bytes of `part` (`strstr`, not String's character search).
    private static func contains(_ text: String, _ part: String) -> Bool {
        text.utf8.firstRange(of: part.utf8) != nil
    }

    /// Texts llama.cpp makes control tokens as end-of-generation markers.
    static let endOfGeneration: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
        "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
        "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
        "<｜end▁of▁sentence｜>", "[e~[",
    ]

    /// Fill-in-the-middle token families: the metadata keys of their id, and the texts
    /// llama.cpp makes control tokens when no key names one.
    static let fillInTheMiddle: [(keys: [String], texts: Set<String>)] = [
        (["tokenizer.ggml.fim_pre_token_id", "tokenizer.ggml.prefix_token_id"],
         ["<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>"]),
        (["tokenizer.ggml.fim_suf_token_id", "tokenizer.ggml.suffix_token_id"],
         ["<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>"]),
        (["tokenizer.ggml.fim_mid_token_id", "tokenizer.ggml.middle_token_id"],
         ["<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>"]),
        (["tokenizer.ggml.fim_pad_token_id"], ["<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]"]),
        (["tokenizer.ggml.fim_rep_token_id"], ["<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"]),
        (["tokenizer.ggml.fim_sep_token_id"], ["<|file_sep|>"]),
    ]

    static let renderedTexts: Set<String> = ["<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"]
}
/// Typed access to GGUF metadata, with errors that name the key.
private struct MetadataReader {
    let layout: GGUFLayout

    private func wrongType(_ key: String, _ expected: String) -> TokenizerError {
        .invalid(component: "GGUF vocabulary", reason: "\(key) must be \(expected)")
    }

    func string(_ key: String) throws(TokenizerError) -> String? {
        guard let value = layout.value(key) else { return nil }
        guard let string = value.stringValue else { throw wrongType(key, "a string") }
        return string
    }

    func bool(_ key: String) throws(TokenizerError) -> Bool? {
        guard let value = layout.value(key) else { return nil }
        guard let bool = value.boolValue else { throw wrongType(key, "a boolean") }
        return bool
    }

    func integer(_ key: String) throws(TokenizerError) -> Int? {
        guard let value = layout.value(key) else { return nil }
        guard let integer = value.intValue else { throw wrongType(key, "an integer") }
        return integer
    }

    func strings(_ key: String) throws(TokenizerError) -> [String]? {
        guard let value = layout.value(key) else { return nil }
        guard case .array(.string(let strings)) = value else { throw wrongType(key, "an array of strings") }
        return strings
    }

    func scores(count: Int) throws(TokenizerError) -> [Float]? {
        let key = "tokenizer.ggml.scores"
        guard let value = layout.value(key) else { return nil }
        let scores: [Float]
        switch value {
        case .array(.float32(let values)): scores = values
        case .array(.int32(let values)): scores = values.map(Float.init)
        default: throw wrongType(key, "an array of FLOAT32 or INT32")
        }
        guard scores.count >= count else { throw wrongType(key, "at least as long as tokenizer.ggml.tokens") }
        return scores
    }

    func tokenTypes(count: Int) throws(TokenizerError) -> [Int32]? {
        let key = "tokenizer.ggml.token_type"
        guard let value = layout.value(key) else { return nil }
        guard case .array(.int32(let types)) = value else { throw wrongType(key, "an array of INT32") }
        guard types.count >= count else { throw wrongType(key, "at least as long as tokenizer.ggml.tokens") }
        return Array(types.prefix(count))
    }

    func bytes(_ key: String) throws(TokenizerError) -> [UInt8]? {
        guard let value = layout.value(key) else { return nil }
        switch value {
        case .array(.uint8(let bytes)): return bytes
        case .array(.int8(let bytes)): return bytes.map { UInt8(bitPattern: $0) }
        default: throw wrongType(key, "an array of UINT8 or INT8")
        }
    }
}
