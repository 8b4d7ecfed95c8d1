import RevmuxJSON

/// Splits on whitespace (White_Space), dropping it.
public struct WhitespaceSplit: PreTokenizer {
    public init() {}

    init(json: JSONValue) {}

    public func split(_ piece: Piece, into output: inout [Piece]) {
        piece.split(.removed, into: &output, where: HFUnicode.isWhitespace)
    }
}
