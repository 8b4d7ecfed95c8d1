import RevmuxJSON

/// WordPiece: each word becomes the longest vocabulary token that starts it, then the
/// longest "##"-prefixed token that continues it, and so on; a word that cannot be covered
/// this way, or is longer than `maxInputCharsPerWord` scalars, becomes the unknown token.
public struct WordPieceModel: TokenModel {
    private let vocabulary: VocabularyTable
    public let unknownToken: String
    private let unknownID: Int
    public let continuingSubwordPrefix: String
    public let maxInputCharsPerWord: Int

    public init(vocabulary: [(token: String, id: Int)], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharsPerWord: Int = 100) throws(TokenizerError) {
        try self.init(VocabularyTable(vocabulary), unknownToken, continuingSubwordPrefix, maxInputCharsPerWord)
    }

    init(json: JSONValue) throws(TokenizerError) {
        let component = "WordPiece model"
        func string(_ key: String, default value: String) throws(TokenizerError) -> String {
            guard let field = json[key] else { return value }
            guard let string = field.string else { throw .invalid(component: component, reason: "\(key) must be a string") }
            return string
        }
        var maxChars = 100
        if let field = json["max_input_chars_per_word"] {
            guard let value = field.nonNegativeInt else {
                throw .invalid(component: component, reason: "max_input_chars_per_word must be a non-negative integer")
            }
            maxChars = value
        }
        try self.init(
            VocabularyTable(json: json["vocab"], component: component), try string("unk_token", default: "[UNK]"),
            try string("continuing_subword_prefix", default: "##"), maxChars)
    }

    private init(_ vocabulary: VocabularyTable, _ unknownToken: String, _ prefix: String, _ maxChars: Int) throws(TokenizerError) {
        // tokenizers only fails when it meets an unknown word; without the token, ids for
        // such a word cannot be given at all, so the tokenizer is refused up front.
        guard let unknownID = vocabulary.id(of: unknownToken) else {
            throw .invalid(component: "WordPiece model", reason: "unk_token \"\(unknownToken)\" is not in the vocabulary")
        }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.unknownID = unknownID
        continuingSubwordPrefix = prefix
        maxInputCharsPerWord = maxChars
    }

    public var vocabularySize: Int { vocabulary.count }

    public func id(of token: String) -> Int? {
        vocabulary.id(of: token)
    }

    public func token(of id: Int) -> String? {
        vocabulary.token(of: id)
    }

    public func tokenize(_ word: Substring, into ids: inout [Int]) {
        let handled: Void? = word.utf8.withContiguousStorageIfAvailable { tokenize(utf8: $0, into: &ids) }
        if handled == nil {
            let copy = Array(word.utf8)
            copy.withUnsafeBufferPointer { tokenize(utf8: $0, into: &ids) }
        }
    }

    private func tokenize(utf8 word: UnsafeBufferPointer<UInt8>, into ids: inout [Int]) {
        let scalarCount = word.reduce(0) { $0 + (isContinuation($1) ? 0 : 1) }
        guard scalarCount <= maxInputCharsPerWord else {
            ids.append(unknownID)
            return
        }
        let firstNew = ids.count
        var prefix = continuingSubwordPrefix
        let found: Bool = prefix.withUTF8 { prefix in
            var start = 0
            while start < word.count {
                let prefixBytes = start > 0 ? prefix : nil
                // Candidates longer than the longest token cannot match: start below that.
                var end = min(word.count, start + vocabulary.longestToken - (prefixBytes?.count ?? 0))
                while end > start, end < word.count, isContinuation(word[end]) { end -= 1 }
                var match: Int?
                while end > start {
                    if let id = vocabulary.id(prefix: prefixBytes, UnsafeBufferPointer(rebasing: word[start..<end])) {
                        match = id
                        break
                    }
                    repeat { end -= 1 } while end > start && isContinuation(word[end])
                }
                guard let id = match else { return false }
                ids.append(id)
                start = end
            }
            return true
        }
        if !found {
            ids.removeSubrange(firstNew...)
            ids.append(unknownID)
        }
    }

    private func isContinuation(_ byte: UInt8) -> Bool {
        byte & 0xC0 == 0x80
    }
}
