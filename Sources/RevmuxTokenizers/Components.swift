/// The stages of a tokenizer, in the order Hugging Face `tokenizers` runs them:
/// added tokens → normalizer → pre-tokenizer → model → post-processor (→ decoder for decode).
/// Each stage is a small value type built from its tokenizer.json object.

/// Rewrites text before it is split (lowercasing, Unicode normalization, ...).
public protocol Normalizer: Sendable {
    func normalize(_ text: String) -> String
}

/// A stretch of normalized text on its way to the model.
public struct Piece: Equatable, Sendable {
    public var text: Substring
    /// Whether the piece begins at the very start of the input (offset 0 of the original
    /// text): Metaspace's "first" prepend scheme looks at this.
    public var atStart: Bool

    public init(_ text: Substring, atStart: Bool) {
        self.text = text
        self.atStart = atStart
    }
}

/// Splits text into words; the model then tokenizes each word on its own.
public protocol PreTokenizer: Sendable {
    /// Splits one piece, appending the results (which may rewrite the text) to `output`.
    func split(_ piece: Piece, into output: inout [Piece])
}

/// Turns one word into token ids.
public protocol TokenModel: Sendable {
    func tokenize(_ word: Substring, into ids: inout [Int])
    func id(of token: String) -> Int?
    func token(of id: Int) -> String?
    var vocabularySize: Int { get }
}

/// Adds special tokens and type ids around one sequence or a pair.
public protocol PostProcessor: Sendable {
    func process(_ first: Encoding, _ second: Encoding?, addSpecialTokens: Bool) -> Encoding
    /// How many tokens `process` adds, so truncation can leave room for them.
    func addedTokenCount(isPair: Bool) -> Int
}

/// Turns token strings back into text pieces; the pieces are concatenated.
public protocol TokenDecoder: Sendable {
    func decode(_ tokens: [String]) -> [String]
}
