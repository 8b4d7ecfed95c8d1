/// Jinja expressions as chat templates write them: literals, names, `.member`, `[index]`,
/// `not`/`and`/`or`, comparisons, `in`, `+`/`-`/`~`, `is [not] test`, `| filter` and
/// method calls. Precedence follows Jinja's.
struct ExpressionParser {
    private enum Token: Equatable {
        case name(String), string(String), int(Int), symbol(String)
    }

    private var tokens: [Token]
    private var position = 0

    init(_ source: String) throws(ChatTemplateError) {
        tokens = try Self.tokenize(source)
    }

    var atEnd: Bool { position == tokens.count }

    mutating func parseAll() throws(ChatTemplateError) -> TemplateExpression {
        let expression = try parseExpression()
        guard atEnd else { throw .syntax("unexpected \(tokens[position]) in expression") }
        return expression
    }

    mutating func name() throws(ChatTemplateError) -> String {
        guard position < tokens.count, case .name(let name) = tokens[position] else { throw .syntax("expected a name") }
        position += 1
        return name
    }

    mutating func keyword(_ word: String) throws(ChatTemplateError) {
        guard acceptName(word) else { throw .syntax("expected \"\(word)\"") }
    }

    mutating func accept(_ symbol: String) -> Bool {
        guard position < tokens.count, tokens[position] == .symbol(symbol) else { return false }
        position += 1
        return true
    }

    private mutating func acceptName(_ word: String) -> Bool {
        guard position < tokens.count, tokens[position] == .name(word) else { return false }
        position += 1
        return true
    }

    mutating func parseExpression() throws(ChatTemplateError) -> TemplateExpression {
        if position < tokens.count, case .name(let word) = tokens[position], word == "if" {
            throw .unsupported("inline if expressions")
        }
        var left = try parseAnd()
        while acceptName("or") { left = .binary("or", left, try parseAnd()) }
        if position < tokens.count, tokens[position] == .name("if") { throw .unsupported("inline if expressions") }
        return left
    }

    private mutating func parseAnd() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseNot()
        while acceptName("and") { left = .binary("and", left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws(ChatTemplateError) -> TemplateExpression {
        acceptName("not") ? .unary("not", try parseNot()) : try parseComparison()
    }

    private mutating func parseComparison() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseConcat()
        while true {
            if let op = ["==", "!=", "<=", ">=", "<", ">"].first(where: { accept($0) }) {
                left = .binary(op, left, try parseConcat())
            } else if acceptName("in") {
                left = .binary("in", left, try parseConcat())
            } else if position + 1 < tokens.count, tokens[position] == .name("not"), tokens[position + 1] == .name("in") {
                position += 2
                left = .unary("not", .binary("in", left, try parseConcat()))
            } else if acceptName("is") {
                let negated = acceptName("not")
                left = .test(left, try name(), negated: negated)
            } else {
                return left
            }
        }
    }

    private mutating func parseConcat() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseAdditive()
        while accept("~") { left = .binary("~", left, try parseAdditive()) }
        return left
    }

    private mutating func parseAdditive() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parseMultiplicative()
        while true {
            if accept("+") {
                left = .binary("+", left, try parseMultiplicative())
            } else if accept("-") {
                left = .binary("-", left, try parseMultiplicative())
            } else {
                return left
            }
        }
    }

    private mutating func parseMultiplicative() throws(ChatTemplateError) -> TemplateExpression {
        var left = try parsePostfix()
        while let op = ["*", "%"].first(where: { accept($0) }) { left = .binary(op, left, try parsePostfix()) }
        return left
    }

    private mutating func parsePostfix() throws(ChatTemplateError) -> TemplateExpression {
        var value = try parsePrimary()
        while true {
            if accept(".") {
                let member = try name()
                value = accept("(") ? .call(value, member, try arguments()) : .member(value, member)
            } else if accept("[") {
                let start = position < tokens.count && tokens[position] == .symbol(":") ? nil : try parseExpression()
                if accept(":") {
                    let end = position < tokens.count && tokens[position] == .symbol("]") ? nil : try parseExpression()
                    value = .slice(value, start, end)
                } else if let start {
                    value = .index(value, start)
                }
                guard accept("]") else { throw .syntax("expected ]") }
            } else if accept("|") {
                let filter = try name()
                if accept("(") { throw .unsupported("the \(filter) filter with arguments") }
                value = .filter(value, filter)
            } else if accept("(") {
                // A call of a global function (raise_exception, ...); judged when evaluated.
                value = .call(value, "()", try arguments())
            } else {
                return value
            }
        }
    }

    private mutating func arguments() throws(ChatTemplateError) -> [TemplateExpression] {
        var list: [TemplateExpression] = []
        if accept(")") { return list }
        repeat { list.append(try parseExpression()) } while accept(",")
        guard accept(")") else { throw .syntax("expected )") }
        return list
    }

    private mutating func parsePrimary() throws(ChatTemplateError) -> TemplateExpression {
        guard position < tokens.count else { throw .syntax("expression ends early") }
        let token = tokens[position]
        position += 1
        switch token {
        case .string(var s):
            // Adjacent string literals concatenate, as in Python.
            while position < tokens.count, case .string(let next) = tokens[position] { s += next; position += 1 }
            return .literal(.string(s))
        case .int(let i): return .literal(.int(i))
        case .name("true"), .name("True"): return .literal(.bool(true))
        case .name("false"), .name("False"): return .literal(.bool(false))
        case .name("none"), .name("None"): return .literal(.none)
        case .name(let name): return .name(name)
        case .symbol("("):
            let inner = try parseExpression()
            guard accept(")") else { throw .syntax("expected )") }
            return inner
        case .symbol("["):
            var items: [TemplateExpression] = []
            if !accept("]") {
                repeat { items.append(try parseExpression()) } while accept(",")
                guard accept("]") else { throw .syntax("expected ]") }
            }
            return .list(items)
        case .symbol("-"):
            return .binary("-", .literal(.int(0)), try parsePostfix())
        case .symbol(let s): throw s == "{" ? .unsupported("dict literals") : .syntax("unexpected \(s)")
        }
    }

    private static func tokenize(_ source: String) throws(ChatTemplateError) -> [Token] {
        let chars = Array(source)
        var tokens: [Token] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                i += 1
            } else if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" { j += 1 }
                tokens.append(.name(String(chars[i..<j])))
                i = j
            } else if c.isNumber {
                var j = i
                while j < chars.count, chars[j].isNumber { j += 1 }
                if j < chars.count, chars[j] == "." { throw .unsupported("floating-point numbers") }
                tokens.append(.int(Int(String(chars[i..<j]))!))
                i = j
            } else if c == "'" || c == "\"" {
                var s = "", j = i + 1
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count {
                        j += 1
                        switch chars[j] {
                        case "n": s.append("\n")
                        case "t": s.append("\t")
                        case "r": s.append("\r")
                        default: s.append(chars[j])
                        }
                    } else {
                        s.append(chars[j])
                    }
                    j += 1
                }
                guard j < chars.count else { throw .syntax("unterminated string") }
                tokens.append(.string(s))
                i = j + 1
            } else {
                let two = i + 1 < chars.count ? String(chars[i...(i + 1)]) : ""
                if ["==", "!=", "<=", ">="].contains(two) {
                    tokens.append(.symbol(two))
                    i += 2
                } else if "+-*%~|.[](),=<>:{}".contains(c) {
                    tokens.append(.symbol(String(c)))
                    i += 1
                } else {
                    throw .unsupported("the operator \(c)")
                }
            }
        }
        return tokens
    }
}
