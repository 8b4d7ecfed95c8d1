import RevmuxJSON

/// `tokenizers`' Split: cuts at the matches of a pattern (a literal string, or one of the
/// regexes `RegexSplitter` implements) and treats the matches as `behavior` says.
public struct SplitPreTokenizer: PreTokenizer {
    public let splitter: RegexSplitter
    public let behavior: SplitDelimiterBehavior
    /// Treat the text between matches as the delimiters instead.
    public let invert: Bool

    public init(splitter: RegexSplitter, behavior: SplitDelimiterBehavior, invert: Bool = false) {
        self.splitter = splitter
        self.behavior = behavior
        self.invert = invert
    }

    init(json: JSONValue) throws(TokenizerError) {
        let splitter: RegexSplitter
        if let literal = json["pattern"]?["String"]?.string {
            // An empty literal matches between every two characters; nobody ships one.
            guard let literalSplitter = RegexSplitter(literal: literal) else {
                throw .unsupported(component: "Split pattern", type: "empty String")
            }
            splitter = literalSplitter
        } else if let regex = json["pattern"]?["Regex"]?.string {
            guard let regexSplitter = RegexSplitter(pattern: regex) else {
                throw .unsupported(component: "Split regex", type: regex)
            }
            splitter = regexSplitter
        } else {
            throw .invalid(component: "Split pre-tokenizer", reason: "pattern must be {\"String\": …} or {\"Regex\": …}")
        }
        self.init(
            splitter: splitter, behavior: try SplitDelimiterBehavior(json: json["behavior"], component: "Split"),
            invert: json["invert"]?.bool ?? false)
    }

    public func split(_ piece: Piece, into output: inout [Piece]) {
        let text = piece.text
        var spans: [(range: Range<Substring.Index>, isDelimiter: Bool)] = []
        var contiguous = text
        contiguous.withUTF8 { utf8 in
            splitter.forEachPiece(in: utf8) { start, end, isMatch in
                let lower = text.utf8.index(text.startIndex, offsetBy: start)
                spans.append((lower..<text.utf8.index(lower, offsetBy: end - start), isMatch != invert))
            }
        }
        piece.split(spans, behavior, into: &output)
    }
}
