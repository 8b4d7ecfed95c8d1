/// A model's chat template (the Jinja text in tokenizer_config.json or GGUF
/// `tokenizer.chat_template`), rendered as transformers renders it for one user message.
///
/// revmux renders it once, at convert time, into a plain prompt template with `{text}` where
/// the message goes. Templates that use Jinja beyond what chat templates commonly need
/// (macros, namespaces, dict literals, most filters) throw `.unsupported`, never a
/// different prompt.
public struct ChatTemplate: Sendable {
    let nodes: [TemplateNode]

    public init(_ source: String) throws(ChatTemplateError) {
        nodes = try ChatTemplateParser.parse(source)
    }

    /// The conversation [{"role": "user", "content": content}], with the generation prompt.
    public func render(userMessage content: String, bosToken: String, eosToken: String,
                       addGenerationPrompt: Bool = true) throws(ChatTemplateError) -> String {
        var renderer = TemplateRenderer(globals: [
            "messages": .list([.dict(["role": .string("user"), "content": .string(content)])]),
            "add_generation_prompt": .bool(addGenerationPrompt),
            "bos_token": .string(bosToken),
            "eos_token": .string(eosToken),
        ])
        var output = ""
        try renderer.run(nodes, into: &output)
        return output
    }
}

extension TemplateNode: @unchecked Sendable {}

/// Evaluates parsed nodes with Jinja's scoping: a loop body's `set` stays in the loop.
struct TemplateRenderer {
    private var scopes: [[String: TemplateValue]]

    init(globals: [String: TemplateValue]) {
        scopes = [globals]
    }

    mutating func run(_ nodes: [TemplateNode], into output: inout String) throws(ChatTemplateError) {
        for node in nodes {
            switch node {
            case .text(let text):
                output += text
            case .output(let expression):
                output += try Self.text(of: evaluate(expression))
            case .assignment(let name, let expression):
                scopes[scopes.count - 1][name] = try evaluate(expression)
            case .conditional(let branches, let otherwise):
                var chosen = otherwise
                for (condition, body) in branches where try evaluate(condition).truthy {
                    chosen = body
                    break
                }
                try run(chosen, into: &output)
            case .forLoop(let variable, let sequence, let body):
                guard case .list(let items) = try evaluate(sequence) else { throw .unsupported("loops over anything but lists") }
                for (index, item) in items.enumerated() {
                    scopes.append([variable: item, "loop": .dict([
                        "index0": .int(index), "index": .int(index + 1), "first": .bool(index == 0),
                        "last": .bool(index == items.count - 1), "length": .int(items.count),
                        "revindex0": .int(items.count - 1 - index), "revindex": .int(items.count - index),
                    ])])
                    defer { scopes.removeLast() }
                    try run(body, into: &output)
                }
            }
        }
    }

    private func lookup(_ name: String) -> TemplateValue {
        for scope in scopes.reversed() { if let value = scope[name] { return value } }
        return .undefined
    }

    private func evaluate(_ expression: TemplateExpression) throws(ChatTemplateError) -> TemplateValue {
        switch expression {
        case .literal(let value): return value
        case .name(let name): return lookup(name)
        case .list(let items): return .list(try items.map { (item) throws(ChatTemplateError) in try evaluate(item) })
        case .member(let base, let name):
            if case .dict(let d) = try evaluate(base) { return d[name] ?? .undefined }
            return .undefined
        case .index(let base, let key):
            switch (try evaluate(base), try evaluate(key)) {
            case (.dict(let d), .string(let k)): return d[k] ?? .undefined
            case (.list(let l), .int(let i)):
                let index = i < 0 ? l.count + i : i
                return l.indices.contains(index) ? l[index] : .undefined
            case (.undefined, _): throw .evaluation("subscript of an undefined value")
            default: throw .unsupported("this kind of subscript")
            }
        case .slice(let base, let start, let end):
            func bound(_ expression: TemplateExpression?, _ count: Int, _ otherwise: Int) throws(ChatTemplateError) -> Int {
                guard let expression else { return otherwise }
                guard case .int(let i) = try evaluate(expression) else { throw .evaluation("a slice bound is not an integer") }
                return min(max(i < 0 ? count + i : i, 0), count)
            }
            switch try evaluate(base) {
            case .list(let l):
                let from = try bound(start, l.count, 0), to = try bound(end, l.count, l.count)
                return .list(from < to ? Array(l[from..<to]) : [])
            case .string(let s):
                let chars = Array(s)
                let from = try bound(start, chars.count, 0), to = try bound(end, chars.count, chars.count)
                return .string(from < to ? String(chars[from..<to]) : "")
            default: throw .unsupported("slicing this kind of value")
            }
        case .unary(_, let operand): return .bool(!(try evaluate(operand).truthy))
        case .binary(let op, let a, let b): return try binary(op, a, b)
        case .test(let operand, let name, let negated):
            let value = try evaluate(operand)
            let result: Bool
            switch name {
            case "defined": result = value != .undefined
            case "undefined": result = value == .undefined
            case "none": result = value == .none
            case "string": if case .string = value { result = true } else { result = false }
            case "number", "integer": if case .int = value { result = true } else { result = false }
            case "mapping": if case .dict = value { result = true } else { result = false }
            case "sequence", "iterable":
                switch value {
                case .list, .string, .dict: result = true
                default: result = false
                }
            case "true": result = value == .bool(true)
            case "false": result = value == .bool(false)
            default: throw .unsupported("the test \"is \(name)\"")
            }
            return .bool(result != negated)
        case .filter(let operand, let name):
            let value = try evaluate(operand)
            switch (name, value) {
            case ("trim", .string(let s)): return .string(s.trimmingSpaces())
            case ("upper", .string(let s)): return .string(s.uppercased())
            case ("lower", .string(let s)): return .string(s.lowercased())
            case ("length", .string(let s)): return .int(s.count)
            case ("length", .list(let l)): return .int(l.count)
            case ("string", _): return .string(try Self.text(of: value))
            default: throw .unsupported("the \(name) filter")
            }
        case .call(let base, let method, let arguments):
            let values = try arguments.map { (argument) throws(ChatTemplateError) in try evaluate(argument) }
            if method == "()" {
                if case .name("raise_exception") = base, case .string(let message)? = values.first { throw .evaluation(message) }
                throw .unsupported("global functions")
            }
            guard case .string(let s) = try evaluate(base) else { throw .unsupported("the method \(method) on non-strings") }
            switch (method, values) {
            case ("strip", []): return .string(s.trimmingSpaces())
            case ("lstrip", []): return .string(String(s.drop { $0.isWhitespace }))
            case ("rstrip", []): return .string(String(s.reversed().drop { $0.isWhitespace }.reversed()))
            case ("lower", []): return .string(s.lowercased())
            case ("upper", []): return .string(s.uppercased())
            case ("startswith", _) where values.count == 1: return .bool(s.hasPrefix(try Self.text(of: values[0])))
            case ("endswith", _) where values.count == 1: return .bool(s.hasSuffix(try Self.text(of: values[0])))
            default: throw .unsupported("the string method \(method)")
            }
        }
    }

    private func binary(_ op: String, _ a: TemplateExpression, _ b: TemplateExpression) throws(ChatTemplateError) -> TemplateValue {
        let left = try evaluate(a)
        switch op {
        case "and": return left.truthy ? try evaluate(b) : left
        case "or": return left.truthy ? left : try evaluate(b)
        default: break
        }
        let right = try evaluate(b)
        switch (op, left, right) {
        case ("==", _, _): return .bool(left == right)
        case ("!=", _, _): return .bool(left != right)
        case ("+", .string(let x), .string(let y)): return .string(x + y)
        case ("+", .int(let x), .int(let y)): return .int(x + y)
        case ("+", .list(let x), .list(let y)): return .list(x + y)
        case ("-", .int(let x), .int(let y)): return .int(x - y)
        case ("*", .int(let x), .int(let y)): return .int(x * y)
        case ("%", .int(let x), .int(let y)) where y != 0: return .int(((x % y) + y) % y)
        case ("~", _, _): return .string(try Self.text(of: left) + Self.text(of: right))
        case ("<", .int(let x), .int(let y)): return .bool(x < y)
        case (">", .int(let x), .int(let y)): return .bool(x > y)
        case ("<=", .int(let x), .int(let y)): return .bool(x <= y)
        case (">=", .int(let x), .int(let y)): return .bool(x >= y)
        case ("in", .string(let x), .string(let y)): return .bool(y.contains(x))
        case ("in", _, .list(let l)): return .bool(l.contains(left))
        case ("in", .string(let k), .dict(let d)): return .bool(d[k] != nil)
        default: throw .evaluation("cannot apply \(op) to these values")
        }
    }

    /// How Jinja prints a value.
    static func text(of value: TemplateValue) throws(ChatTemplateError) -> String {
        switch value {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .string(let s): s
        case .list, .dict: throw .unsupported("printing lists or dicts")
        }
    }
}
