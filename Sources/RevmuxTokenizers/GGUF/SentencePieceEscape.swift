/// How llama.cpp prepares text for its SentencePiece tokenizer: a space before the text
/// when the vocabulary asks for one (`add_space_prefix`), then every space written "▁".
///
/// llama.cpp prefixes each text fragment that starts the input or follows a special token,
/// which is every fragment: fragments are what lies between special tokens.
struct SentencePieceEscape: PreTokenizer {
    let addSpacePrefix: Bool

    func split(_ piece: Piece, into output: inout [Piece]) {
        let text = addSpacePrefix ? " " + piece.text : String(piece.text)
        output.append(Piece(Substring(LlamaUnicode.replacing(" ", with: "▁", in: text)), atStart: piece.atStart))
    }
}
