import RevmuxJSON

/// Runs pre-tokenizers one after the other, each on every piece the previous one made.
public struct PreTokenizerSequence: PreTokenizer {
    public var preTokenizers: [any PreTokenizer]

    public init(_ preTokenizers: [any PreTokenizer]) {
        self.preTokenizers = preTokenizers
    }

    init(json: JSONValue) throws(TokenizerError) {
        guard let members = json["pretokenizers"]?.array else {
            throw .invalid(component: "pre-tokenizer Sequence", reason: "needs a pretokenizers array")
        }
        var preTokenizers: [any PreTokenizer] = []
        for member in members { preTokenizers.append(try makePreTokenizer(member)) }
        self.init(preTokenizers)
    }

    public func split(_ piece: Piece, into output: inout [Piece]) {
        var pieces = [piece]
        var next: [Piece] = []
        for preTokenizer in preTokenizers {
            next.removeAll(keepingCapacity: true)
            for current in pieces { preTokenizer.split(current, into: &next) }
            swap(&pieces, &next)
        }
        output += pieces
    }
}
