import RevmuxJSON

/// The Whitespace pre-tokenizer, `tokenizers`' `\w+|[^\w\s]+`: runs of word characters
/// and runs of other non-space characters; whitespace is dropped.
public struct Whitespace: PreTokenizer {
    public init() {}

    init(json: JSONValue) {}

    private enum Class { case word, other, space }

    public func split(_ piece: Piece, into output: inout [Piece]) {
        let text = piece.text
        let scalars = text.unicodeScalars
        var runStart = scalars.startIndex
        var runClass = Class.space
        func endRun(at end: Substring.Index) {
            guard runClass != .space, runStart < end else { return }
            output.append(Piece(text[runStart..<end], atStart: piece.atStart && runStart == text.startIndex))
        }
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let current: Class = HFUnicode.isWord(scalar) ? .word : HFUnicode.isWhitespace(scalar) ? .space : .other
            if current != runClass {
                endRun(at: index)
                runStart = index
                runClass = current
            }
            index = scalars.index(after: index)
        }
        endRun(at: scalars.endIndex)
    }
}
