import RevmuxJSON

/// BERT's pre-tokenizer: splits on whitespace (dropped) and around every punctuation
/// character (kept as a word of its own).
public struct BertPreTokenizer: PreTokenizer {
    public init() {}

    init(json: JSONValue) {}

    public func split(_ piece: Piece, into output: inout [Piece]) {
        let text = piece.text
        let scalars = text.unicodeScalars
        var wordStart: Substring.Index?
        func emit(_ range: Range<Substring.Index>) {
            output.append(Piece(text[range], atStart: piece.atStart && range.lowerBound == text.startIndex))
        }
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            let isSpace = HFUnicode.isWhitespace(scalar)
            if isSpace || HFUnicode.isPunctuation(scalar) {
                if let start = wordStart { emit(start..<index) }
                wordStart = nil
                if !isSpace { emit(index..<next) }
            } else if wordStart == nil {
                wordStart = index
            }
            index = next
        }
        if let start = wordStart { emit(start..<scalars.endIndex) }
    }
}
