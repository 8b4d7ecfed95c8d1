import RevmuxJSON

/// Splits at every punctuation character (ASCII punctuation and symbols, Unicode P*).
public struct Punctuation: PreTokenizer {
    public var behavior: SplitDelimiterBehavior

    public init(behavior: SplitDelimiterBehavior = .isolated) {
        self.behavior = behavior
    }

    init(json: JSONValue) throws(TokenizerError) {
        let behavior = json["behavior"]
        self.init(behavior: behavior == nil ? .isolated : try SplitDelimiterBehavior(json: behavior, component: "Punctuation"))
    }

    public func split(_ piece: Piece, into output: inout [Piece]) {
        piece.split(behavior, into: &output, where: HFUnicode.isPunctuation)
    }
}
