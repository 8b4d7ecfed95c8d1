import RevmuxJSON

/// WordLevel: each word is one vocabulary token, or the unknown token.
public struct WordLevelModel: TokenModel {
    private let vocabulary: VocabularyTable
    public let unknownToken: String
    private let unknownID: Int

    public init(vocabulary: [(token: String, id: Int)], unknownToken: String = "<unk>") throws(TokenizerError) {
        try self.init(VocabularyTable(vocabulary), unknownToken)
    }

    init(json: JSONValue) throws(TokenizerError) {
        var unknownToken = "<unk>"
        if let field = json["unk_token"] {
            guard let string = field.string else { throw .invalid(component: "WordLevel model", reason: "unk_token must be a string") }
            unknownToken = string
        }
        try self.init(VocabularyTable(json: json["vocab"], component: "WordLevel model"), unknownToken)
    }

    private init(_ vocabulary: VocabularyTable, _ unknownToken: String) throws(TokenizerError) {
        // As for WordPiece: tokenizers fails on any unknown word when the token is missing.
        guard let unknownID = vocabulary.id(of: unknownToken) else {
            throw .invalid(component: "WordLevel model", reason: "unk_token \"\(unknownToken)\" is not in the vocabulary")
        }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.unknownID = unknownID
    }

    public var vocabularySize: Int { vocabulary.count }

    public func id(of token: String) -> Int? {
        vocabulary.id(of: token)
    }

    public func token(of id: Int) -> String? {
        vocabulary.token(of: id)
    }

    public func tokenize(_ word: Substring, into ids: inout [Int]) {
        var word = word
        ids.append(word.withUTF8 { vocabulary.id(prefix: nil, $0) } ?? unknownID)
    }
}
