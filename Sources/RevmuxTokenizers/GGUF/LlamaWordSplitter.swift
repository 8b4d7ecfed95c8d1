/// The text preparation of llama.cpp's WordPiece tokenizer (`llm_tokenizer_wpm_session::
/// preprocess`), in place of BERT's normalizer and pre-tokenizer: scalars are reduced to the
/// first scalar of their canonical decomposition and accents dropped (strip_accents),
/// lowercased to the first scalar of their lowercase mapping, control characters removed,
/// and words split at whitespace, with each punctuation mark, ASCII symbol and CJK ideograph
/// a word of its own.
struct LlamaWordSplitter: PreTokenizer {
    let lowercase: Bool
    let stripAccents: Bool

    func split(_ piece: Piece, into output: inout [Piece]) {
        var word = String.UnicodeScalarView()
        var atStart = piece.atStart
        func finishWord() {
            guard !word.isEmpty else { return }
            output.append(Piece(Substring(String(word)), atStart: atStart))
            word = String.UnicodeScalarView()
            atStart = false
        }
        for original in piece.text.unicodeScalars {
            let scalar = stripAccents ? LlamaUnicode.decompositionBase(original) : original
            let flags = LlamaUnicode.flags(scalar)
            if flags.contains(.whitespace) {
                finishWord()
                continue
            }
            if scalar.value == 0 || scalar.value == 0xFFFD || flags.contains(.control)
                || (stripAccents && flags.contains(.accentMark))
            {
                continue
            }
            let written = lowercase ? LlamaUnicode.lowercase(scalar) : scalar
            if flags.contains(.punctuation) || (scalar.value < 0x7F && flags.contains(.symbol))
                || LlamaUnicode.isChineseCharacter(scalar)
            {
                finishWord()
                word.append(written)
                finishWord()
            } else {
                word.append(written)
            }
        }
        finishWord()
    }
}
