/// llama.cpp's BPE pre-tokenization (`unicode_regex_split`), chosen by `tokenizer.ggml.pre`:
/// each regex of the list splits every piece the previous ones left, keeping both the
/// matches and the text between them; then each piece is spelled with GPT-2's byte-to-
/// character table (or left as UTF-8 for the SentencePiece-style BPE of Gemma 4, whose
/// spaces are first written "▁").
///
/// Most patterns run on `RegexSplitter`'s matchers, which give what llama.cpp's own
/// matchers and its `std::regex` fallback give, with two corrections for llama.cpp:
/// - llama.cpp's Unicode tables are 15.1, `RegexSplitter`'s 16.0; a scalar assigned since
///   is unassigned to llama.cpp, so `RegexSplitter` sees it replaced by a noncharacter of
///   the same UTF-8 length, which both see as unassigned.
/// - llama.cpp reads `\p{Lu}`, `\p{Ll}`, `\p{Lt}`, `\p{Lm}` and `\p{Lo}` all as `\p{L}`,
///   unlike Oniguruma: patterns naming them are not given to `RegexSplitter`.
/// Runs of one character class that `RegexSplitter` does not know (DeepSeek's and Falcon's)
/// run on `LlamaClassPattern`.
struct LlamaPreTokenizer: PreTokenizer {
    /// What a `tokenizer.ggml.pre` name changes in the vocabulary's flags.
    struct Flags: Sendable {
        var ignoreMerges = false
        var addBOS = false
        var cleanSpaces = true
        var addSeparator = false
        var escapeWhitespaces = false
        /// The name clears the BOS default (ChatGLM).
        var noBOS = false
    }

    private enum Stage: Sendable {
        case regex(RegexSplitter)
        case classRun(LlamaClassPattern)

        func forEachPiece(in utf8: UnsafeBufferPointer<UInt8>, _ body: (Int, Int, Bool) -> Void) {
            switch self {
            case .regex(let splitter): splitter.forEachPiece(in: utf8, body)
            case .classRun(let pattern): pattern.forEachPiece(in: utf8, body)
            }
        }
    }

    private let stages: [Stage]
    private let byteEncode: Bool
    private let escapeWhitespaces: Bool

    init(pre: String, escapeWhitespaces: Bool) throws(TokenizerError) {
        guard let type = Self.names[pre]?.type else {
            throw .unsupported(component: "GGUF pre-tokenizer (tokenizer.ggml.pre)", type: pre)
        }
        let (patterns, byteEncode) = Self.patterns(type)
        var stages: [Stage] = []
        for pattern in patterns {
            let namesLetterSubcategory = ["Lu", "Ll", "Lt", "Lm", "Lo"].contains { pattern.contains("\\p{\($0)}") }
            if !namesLetterSubcategory, let splitter = RegexSplitter(pattern: pattern) {
                stages.append(.regex(splitter))
            } else if let classRun = LlamaClassPattern(pattern: pattern) {
                stages.append(.classRun(classRun))
            } else {
                throw .unsupported(component: "GGUF pre-tokenizer \"\(pre)\" regex", type: pattern)
            }
        }
        self.stages = stages
        self.byteEncode = byteEncode
        self.escapeWhitespaces = escapeWhitespaces
    }

    static func flags(_ pre: String) -> Flags? {
        names[pre]?.flags
    }

    /// Whether llama.cpp applies its Gemma 4 rules: BOS always added, a word of newlines
    /// that is a token taken whole.
    static func isGemma4(_ pre: String) -> Bool {
        names[pre]?.type == .gemma4
    }

    func split(_ piece: Piece, into output: inout [Piece]) {
        var text = escapeWhitespaces ? LlamaUnicode.replacing(" ", with: "▁", in: piece.text) : String(piece.text)
        text.withUTF8 { bytes in
            let view = Self.unicode15View(bytes)
            var ranges = [0..<bytes.count]
            for stage in stages {
                var next: [Range<Int>] = []
                next.reserveCapacity(ranges.count * 2)
                view.withUnsafeBufferPointer { view in
                    // LlamaClassPattern has llama.cpp's tables, and its ranges compare the scalars themselves.
                    let source = if case .regex = stage { view } else { bytes }
                    for range in ranges {
                        stage.forEachPiece(in: UnsafeBufferPointer(rebasing: source[range])) { start, end, _ in
                            next.append(range.lowerBound + start..<range.lowerBound + end)
                        }
                    }
                }
                ranges = next
            }
            for (index, range) in ranges.enumerated() where !range.isEmpty {
                let word = UnsafeBufferPointer(rebasing: bytes[range])
                let spelled = byteEncode ? ByteLevelAlphabet.spell(word) : String(decoding: word, as: UTF8.self)
                output.append(Piece(Substring(spelled), atStart: piece.atStart && index == 0))
            }
        }
    }

    /// `bytes` with each scalar llama.cpp's Unicode 15.1 does not know replaced by a
    /// noncharacter of the same length (none is shorter than three bytes).
    private static func unicode15View(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var view = Array(bytes)
        var offset = 0
        while offset < view.count {
            let length = LlamaUnicode.sequenceLength(view[offset])
            if length >= 3 {
                var decoder = UTF8()
                var iterator = view[offset..<offset + length].makeIterator()
                if case .scalarValue(let scalar) = decoder.decode(&iterator), LlamaUnicode.isNewerThanTables(scalar) {
                    // U+FDD0 and U+1FFFE
                    view.replaceSubrange(offset..<offset + length, with: length == 3 ? [0xEF, 0xB7, 0x90] : [0xF0, 0x9F, 0xBF, 0xBE])
                }
            }
            offset += length
        }
        return view
    }

    // MARK: - llama.cpp's table

    /// llama.cpp's `llama_vocab_pre_type`.
    enum PreType: Sendable {
        case defaultType, llama3, jais2, deepseekLLM, deepseek3LLM, spark25, youtu, deepseekCoder, falcon
        case starcoder, gpt2, qwen2, qwen35, poro, chatGLM4, viking, tekken, chameleon, gpt4o, graniteEmbedMulti
        case tinyAya, kimiK2, superBPE, bailingMoE, seedCoder, ufakzeka, afmoe, laguna, exaoneMoE, gemma4
        case sarvamMoE, minicpm5, whitespace
    }

    /// Every `tokenizer.ggml.pre` name llama.cpp accepts for a BPE vocabulary, with its type
    /// and the flags it sets.
    private static let names: [String: (type: PreType, flags: Flags)] = {
        var table: [String: (PreType, Flags)] = [:]
        func add(_ type: PreType, _ flags: Flags, _ names: String...) {
            for name in names { table[name] = (type, flags) }
        }
        let plain = Flags()
        let noClean = Flags(cleanSpaces: false)
        add(.defaultType, plain, "default")
        add(.minicpm5, Flags(ignoreMerges: true), "minicpm5")
        add(.llama3, Flags(ignoreMerges: true, addBOS: true),
            "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano")
        add(.llama3, plain, "dbrx", "smaug-bpe")
        add(.deepseekLLM, noClean, "deepseek-llm")
        add(.deepseekCoder, noClean, "deepseek-coder")
        add(.deepseek3LLM, noClean, "deepseek-v3", "hunyuan-dense", "hy_v4", "joyai-llm")
        add(.spark25, noClean, "spark2_5")
        add(.youtu, Flags(ignoreMerges: true, cleanSpaces: false), "youtu")
        add(.falcon, plain, "falcon")
        add(.gpt2, plain,
            "mpt", "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
            "modern-bert", "exaone4", "olmo", "jais")
        add(.gpt2, noClean, "trillion", "granite-docling")
        add(.gpt2, Flags(addSeparator: true), "jina-v1-en", "jina-v2-code", "roberta-bpe")
        add(.starcoder, plain, "starcoder", "refact", "codeshell", "exaone", "minerva-7b", "mellum2")
        add(.starcoder, noClean, "command-r", "smollm")
        add(.jais2, plain, "jais-2")
        add(.gemma4, Flags(escapeWhitespaces: true), "gemma4", "granite-embed-multi-311m")
        add(.sarvamMoE, Flags(cleanSpaces: false, escapeWhitespaces: true), "sarvam-moe")
        add(.whitespace, plain, "whitespace")
        add(.qwen2, noClean, "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "hunyuan", "solar-open", "grok-2")
        add(.qwen2, plain, "stablelm2", "megrez")
        add(.qwen35, noClean, "qwen35")
        add(.poro, noClean, "poro-chat")
        add(.poro, plain, "bloom", "gpt3-finnish")
        add(.chatGLM4, Flags(noBOS: true), "chatglm-bpe")
        add(.chatGLM4, Flags(ignoreMerges: true, noBOS: true), "glm4", "glm5")
        add(.viking, noClean, "viking")
        add(.tekken, Flags(ignoreMerges: true, addBOS: true, cleanSpaces: false), "tekken")
        add(.exaoneMoE, plain, "exaone-moe")
        add(.chameleon, Flags(addBOS: true, cleanSpaces: false), "chameleon")
        add(.gpt4o, noClean, "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2")
        add(.graniteEmbedMulti, Flags(ignoreMerges: true, cleanSpaces: false), "granite-embed-multi-97m")
        add(.tinyAya, noClean, "tiny_aya", "cohere2moe")
        add(.superBPE, noClean, "superbpe")
        add(.bailingMoE, noClean, "bailingmoe", "bailingmoe2", "llada-moe")
        add(.seedCoder, noClean, "seed-coder")
        add(.kimiK2, noClean, "kimi-k2")
        add(.ufakzeka, noClean, "ufakzeka")
        add(.afmoe, noClean, "afmoe")
        add(.laguna, noClean, "laguna")
        return table
    }()

    private static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#
    private static let contractions = #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"#
    private static let llama3Pattern = contractions
        + #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    private static let qwen2Tail = #"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// DeepSeek V3's word pattern; its classes hold real CR and LF characters, as llama.cpp's
    /// source spells them.
    private static let deepseek3Pattern = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"
    private static let gpt4oLetters = #"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+"#

    /// The regexes of a type, spelled as llama.cpp's source spells them, and whether the
    /// pieces are spelled with GPT-2's byte table.
    private static func patterns(_ type: PreType) -> (patterns: [String], byteEncode: Bool) {
        switch type {
        case .defaultType:
            ([#"[\p{P}\$\+<=>\^~\|]+"#, gpt2Pattern, #"\p{N}+"#, #"[0-9][0-9][0-9]"#], true)
        case .llama3, .chatGLM4:
            ([llama3Pattern], true)
        case .jais2:
            ([contractions + #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s{512}(?!\S)|\s{256}(?!\S)|\s{128}(?!\S)|\s{64}(?!\S)|\s{32}(?!\S)|\s{16}(?!\S)|\s{8}(?!\S)|\s{4}(?!\S)|\s{1,2}(?!\S)|\s{1}"#], true)
        case .deepseekLLM:
            // The letter class is escaped: it holds canonical singletons (Ω U+2126, K U+212A,
            // ...) that an editor normalizing to NFC would silently change.
            (["[\r\n]",
              "\\s?[A-Za-z\u{B5}\u{C0}-\u{D6}\u{D8}-\u{F6}\u{F8}-\u{1BA}\u{1BC}-\u{1BF}\u{1C4}-\u{293}\u{295}-"
                + "\u{2AF}\u{370}-\u{373}\u{376}\u{377}\u{37B}-\u{37D}\u{37F}\u{386}\u{388}-\u{38A}\u{38C}\u{38E}-"
                + "\u{3A1}\u{3A3}-\u{3F5}\u{3F7}-\u{481}\u{48A}-\u{52F}\u{531}-\u{556}\u{10A0}-\u{10C5}\u{13A0}-"
                + "\u{13F5}\u{13F8}-\u{13FD}\u{1C90}-\u{1CBA}\u{1CBD}-\u{1CBF}\u{1D00}-\u{1D2B}\u{1D6B}-\u{1D77}"
                + "\u{1D79}-\u{1D9A}\u{1E00}-\u{1F15}\u{1F18}-\u{1F1D}\u{1F20}-\u{1F45}\u{1F48}-\u{1F4D}\u{1F50}-"
                + "\u{1F57}\u{1F59}\u{1F5B}\u{1F5D}\u{1F5F}-\u{1F7D}\u{1F80}-\u{1FB4}\u{1FB6}-\u{1FBC}\u{1FBE}"
                + "\u{1FC2}-\u{1FC4}\u{1FC6}-\u{1FCC}\u{1FD0}-\u{1FD3}\u{1FD6}-\u{1FDB}\u{1FE0}-\u{1FEC}\u{1FF2}-"
                + "\u{1FF4}\u{1FF6}-\u{1FFC}\u{2102}\u{2107}\u{210A}-\u{2113}\u{2115}\u{2119}-\u{211D}\u{2124}"
                + "\u{2126}\u{2128}\u{212A}-\u{212D}\u{212F}-\u{2134}\u{2139}\u{213C}-\u{213F}\u{2145}-\u{2149}"
                + "\u{214E}\u{2183}\u{2184}\u{2C00}-\u{2C7B}\u{2C7E}-\u{2CE4}\u{2CEB}-\u{2CEE}\u{2CF2}\u{2CF3}"
                + "\u{A640}-\u{A66D}\u{A680}-\u{A69B}\u{A722}-\u{A76F}\u{A771}-\u{A787}\u{A78B}-\u{A78E}\u{AB70}-"
                + "\u{ABBF}\u{FB00}-\u{FB06}\u{FB13}-\u{FB17}\u{FF21}-\u{FF3A}\u{FF41}-\u{FF5A}\u{10400}-\u{1044F}"
                + "\u{104B0}-\u{104D3}\u{104D8}-\u{104FB}\u{10C80}-\u{10CB2}\u{10CC0}-\u{10CF2}\u{118A0}-\u{118DF}"
                + "\u{1E900}-\u{1E943}]+",
              #"\s?[!-/:-~！-／：-～‘-‟　-。]+"#, #"\s+$"#, #"[一-龥ࠀ-一가-퟿]+"#, #"\p{N}+"#], true)
        case .deepseek3LLM:
            ([#"\p{N}{1,3}"#, #"[一-龥぀-ゟ゠-ヿ]+"#, deepseek3Pattern], true)
        case .spark25:
            ([#"\p{N}{1,3}"#, #"[一-龥぀-ゟ゠-ヿ]+"#,
              "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+|[\r\n]|\\s+(?!\\S)|\\s+",
              #"\p{N}"#], true)
        case .youtu:
            ([#"[가-힣ㄱ-ㆎ]+|[！…“”‘’—：；，、-〿︰-﹏]+|[ㄅ-ㄯ]+|[一-龥぀-ゟ゠-ヿ]+"#,
              #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"# + contractions
                + #"?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"# + contractions
                + #"?|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .deepseekCoder:
            (["[\r\n]", #"\s?\p{L}+"#, #"\s?\p{P}+"#, #"[一-龥ࠀ-一가-퟿]+"#, #"\p{N}"#], true)
        case .falcon:
            ([#"[\p{P}\$\+<=>\^~\|`]+"#, gpt2Pattern, #"[0-9][0-9][0-9]"#], true)
        case .starcoder:
            ([#"\p{N}"#, gpt2Pattern], true)
        case .gpt2:
            ([gpt2Pattern], true)
        case .qwen2:
            ([contractions + "|" + qwen2Tail], true)
        case .qwen35:
            ([contractions + #"|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .poro:
            ([#" ?[^(\s|.,!?…。，、।۔،)]+"#], true)
        case .viking:
            ([#" ?[^(\s|.,!?…。，、।۔،)]+"#, #"\p{N}"#], true)
        case .tekken:
            ([#"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .chameleon:
            ([#"<sentinel:[0-9]+>"#, #"(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z"#, #"([\t\n]|    |  )"#, #"\p{N}"#,
              #"[\p{P}!-/:-@\[-`{-~]"#, gpt2Pattern], true)
        case .gpt4o:
            ([gpt4oLetters + contractions + #"?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*"# + contractions
                + #"?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .graniteEmbedMulti:
            ([#"[^\r\n\p{L}\p{N}]?((?=[\p{L}\p{M}])([^a-z]))*((?=[\p{L}\p{M}])([^A-Z]))+"# + contractions
                + #"?|[^\r\n\p{L}\p{N}]?((?=[\p{L}\p{M}])([^a-z]))+((?=[\p{L}\p{M}])([^A-Z]))*"# + contractions
                + #"?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .tinyAya:
            ([#"\d{1,3}(?=(?:\d{3})*\b)"#,
              #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"# + contractions
                + #"?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"# + contractions
                + #"?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .kimiK2:
            ([#"\p{Han}+"#], true)
        case .superBPE:
            ([#"\p{N}+"#, #"(?=(\d{3})+(?!\d))"#], true)
        case .bailingMoE:
            ([#"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"#], true)
        case .seedCoder:
            ([contractions + #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .ufakzeka:
            ([qwen2Tail], true)
        case .afmoe:
            ([#"\p{AFMoE_digits}"#, #"[一-鿿㐀-䶿豈-﫿぀-ゟ゠-ヿ･-ﾟ⼀-⿟เ-๿຀-໿ក-៿က-႟ꩠ-ꩿꧠ-꧿가-힯ᄀ-ᇿ]+"#,
              ##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"##], true)
        case .laguna:
            ([#"[^\n]+|[\n]+"#, contractions + "|" + qwen2Tail], true)
        case .exaoneMoE:
            ([contractions + #"|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+"#], true)
        case .gemma4, .sarvamMoE:
            ([#"[^\n]+|[\n]+"#], false)
        case .minicpm5:
            ([#"\p{N}{1,3}"#, contractions + #"|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#], true)
        case .whitespace:
            ([#"\S+"#], false)
        }
    }
}
