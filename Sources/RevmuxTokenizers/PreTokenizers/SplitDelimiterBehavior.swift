import RevmuxJSON

/// What a split does with the delimiters it finds, as `tokenizers`' SplitDelimiterBehavior.
public enum SplitDelimiterBehavior: String, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    /// Consecutive delimiters stay together, as do consecutive non-delimiters.
    case contiguous = "Contiguous"

    init(json: JSONValue?, component: String) throws(TokenizerError) {
        guard let name = json?.string else { throw .invalid(component: component, reason: "behavior must be a string") }
        guard let behavior = Self(rawValue: name) else { throw .unsupported(component: "\(component) behavior", type: name) }
        self = behavior
    }
}

extension Piece {
    /// Splits where `isDelimiter` holds, each such scalar being a delimiter of its own, and
    /// appends the non-empty parts.
    func split(_ behavior: SplitDelimiterBehavior, into output: inout [Piece], where isDelimiter: (Unicode.Scalar) -> Bool) {
        let scalars = text.unicodeScalars
        var spans: [(range: Range<Substring.Index>, isDelimiter: Bool)] = []
        var runStart = scalars.startIndex
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let next = scalars.index(after: index)
            if isDelimiter(scalars[index]) {
                if runStart < index { spans.append((runStart..<index, false)) }
                spans.append((index..<next, true))
                runStart = next
            }
            index = next
        }
        if runStart < scalars.endIndex { spans.append((runStart..<scalars.endIndex, false)) }
        split(spans, behavior, into: &output)
    }

    /// Appends the non-empty parts of the piece cut into `spans` (consecutive, covering it).
    func split(_ spans: [(range: Range<Substring.Index>, isDelimiter: Bool)], _ behavior: SplitDelimiterBehavior, into output: inout [Piece]) {
        var parts: [Range<Substring.Index>] = []
        switch behavior {
        case .removed:
            parts = spans.filter { !$0.isDelimiter }.map(\.range)
        case .isolated:
            parts = spans.map(\.range)
        case .contiguous, .mergedWithPrevious:
            var previousIsDelimiter = false
            for span in spans {
                let merges = behavior == .contiguous ? span.isDelimiter == previousIsDelimiter : span.isDelimiter && !previousIsDelimiter
                if merges, let last = parts.last {
                    parts[parts.count - 1] = last.lowerBound..<span.range.upperBound
                } else {
                    parts.append(span.range)
                }
                previousIsDelimiter = span.isDelimiter
            }
        case .mergedWithNext:
            var nextIsDelimiter = false
            for span in spans.reversed() {
                if span.isDelimiter && !nextIsDelimiter, let last = parts.last {
                    parts[parts.count - 1] = span.range.lowerBound..<last.upperBound
                } else {
                    parts.append(span.range)
                }
                nextIsDelimiter = span.isDelimiter
            }
            parts.reverse()
        }
        for part in parts where !part.isEmpty {
            output.append(Piece(text[part], atStart: atStart && part.lowerBound == text.startIndex))
        }
    }
}
