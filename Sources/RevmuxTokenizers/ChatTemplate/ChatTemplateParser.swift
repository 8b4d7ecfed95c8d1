/// Parses a chat template with the settings transformers renders them with
/// (`trim_blocks`, `lstrip_blocks`) and Jinja's `-` whitespace control.
struct ChatTemplateParser {
    private enum Piece {
        case text(String)
        case expression(String)
        case statement(String)
    }

    static func parse(_ source: String) throws(ChatTemplateError) -> [TemplateNode] {
        var pieces = try split(source)[...]
        let nodes = try parseBlock(&pieces, until: [])
        guard pieces.isEmpty else { throw .syntax("unexpected {% \(pieces.first!) %}") }
        return nodes.nodes
    }

    // MARK: Tags and text

    private static func split(_ source: String) throws(ChatTemplateError) -> [Piece] {
        let chars = Array(source)
        var pieces: [Piece] = []
        var text = ""
        var trimNextLeading = false, trimNextNewline = false
        var i = 0
        func flushText(trimTrailing: Bool, lstrip: Bool) {
            var t = text
            if trimNextNewline, t.first == "\n" { t.removeFirst() }
            if trimNextLeading { t = String(t.drop { $0.isWhitespace }) }
            if trimTrailing {
                while t.last?.isWhitespace == true { t.removeLast() }
            } else if lstrip {
                // lstrip_blocks: spaces and tabs between a line start and a block tag go.
                let tail = t.reversed().prefix { $0 == " " || $0 == "\t" }
                let before = t.dropLast(tail.count)
                if before.isEmpty || before.last == "\n" { t = String(before) }
            }
            if !t.isEmpty { pieces.append(.text(t)) }
            text = ""
            trimNextLeading = false
            trimNextNewline = false
        }
        while i < chars.count {
            guard chars[i] == "{", i + 1 < chars.count, "{%#".contains(chars[i + 1]) else {
                text.append(chars[i])
                i += 1
                continue
            }
            let kind = chars[i + 1]
            let close: Character = kind == "{" ? "}" : kind
            var start = i + 2
            let trimBefore = start < chars.count && chars[start] == "-"
            let keepSpace = start < chars.count && chars[start] == "+"
            if trimBefore || keepSpace { start += 1 }
            var end = start
            while end + 1 < chars.count, !(chars[end] == close && chars[end + 1] == "}") {
                if kind != "#", chars[end] == "'" || chars[end] == "\"" {
                    let quote = chars[end]
                    end += 1
                    while end < chars.count, chars[end] != quote { end += chars[end] == "\\" ? 2 : 1 }
                }
                end += 1
            }
            guard end + 1 < chars.count else { throw .syntax("unclosed {\(kind) tag") }
            var bodyEnd = end
            let trimAfter = bodyEnd > start && chars[bodyEnd - 1] == "-"
            if trimAfter { bodyEnd -= 1 }
            flushText(trimTrailing: trimBefore, lstrip: kind != "{" && !keepSpace)
            let body = String(chars[start..<max(start, bodyEnd)]).trimmingSpaces()
            switch kind {
            case "{": pieces.append(.expression(body))
            case "%": pieces.append(.statement(body))
            default: break
            }
            trimNextLeading = trimAfter
            trimNextNewline = kind != "{"   // trim_blocks
            i = end + 2
        }
        flushText(trimTrailing: false, lstrip: false)
        return pieces
    }

    // MARK: Statements

    /// Nodes up to one of `terminators` (a statement's first word), which is consumed and
    /// returned with its text.
    private static func parseBlock(_ pieces: inout ArraySlice<Piece>, until terminators: Set<String>)
        throws(ChatTemplateError) -> (nodes: [TemplateNode], end: String?) {
        var nodes: [TemplateNode] = []
        while let piece = pieces.popFirst() {
            switch piece {
            case .text(let text): nodes.append(.text(text))
            case .expression(let source):
                var parser = try ExpressionParser(source)
                nodes.append(.output(try parser.parseAll()))
            case .statement(let source):
                let word = String(source.prefix { $0.isLetter || $0 == "_" })
                if terminators.contains(word) { return (nodes, source) }
                nodes.append(try parseStatement(word, source, &pieces))
            }
        }
        guard terminators.isEmpty else { throw .syntax("missing {% \(terminators.sorted().joined(separator: " or ")) %}") }
        return (nodes, nil)
    }

    private static func parseStatement(_ word: String, _ source: String, _ pieces: inout ArraySlice<Piece>)
        throws(ChatTemplateError) -> TemplateNode {
        let rest = String(source.dropFirst(word.count))
        switch word {
        case "for":
            var parser = try ExpressionParser(rest)
            let variable = try parser.name()
            try parser.keyword("in")
            let sequence = try parser.parseExpression()
            guard parser.atEnd else { throw .unsupported("a for loop with filters or else (\(source))") }
            let (body, end) = try parseBlock(&pieces, until: ["endfor", "else"])
            guard end == "endfor" else { throw .unsupported("for ... else") }
            return .forLoop(variable: variable, sequence: sequence, body: body)
        case "if":
            var branches: [(TemplateExpression, [TemplateNode])] = []
            var parser = try ExpressionParser(rest)
            var condition = try parser.parseAll()
            while true {
                let (body, end) = try parseBlock(&pieces, until: ["elif", "else", "endif"])
                branches.append((condition, body))
                guard let end, end.hasPrefix("elif") else {
                    if end == "else" {
                        let (otherwise, _) = try parseBlock(&pieces, until: ["endif"])
                        return .conditional(branches: branches, otherwise: otherwise)
                    }
                    return .conditional(branches: branches, otherwise: [])
                }
                var next = try ExpressionParser(String(end.dropFirst(4)))
                condition = try next.parseAll()
            }
        case "set":
            var parser = try ExpressionParser(rest)
            let variable = try parser.name()
            guard parser.accept("=") else { throw .unsupported("{% set %} blocks or multiple targets") }
            let value = try parser.parseExpression()
            guard parser.atEnd else { throw .syntax("unexpected text after {% \(source) %}") }
            return .assignment(variable, value)
        default:
            throw .unsupported("{% \(word) %}")
        }
    }
}

extension String {
    func trimmingSpaces() -> String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
