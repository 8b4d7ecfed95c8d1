/// The part of Jinja that chat templates use, parsed: text, `{{ expression }}`, and the
/// statements `for`, `if`/`elif`/`else` and `set`.
indirect enum TemplateNode {
    case text(String)
    case output(TemplateExpression)
    case forLoop(variable: String, sequence: TemplateExpression, body: [TemplateNode])
    case conditional(branches: [(TemplateExpression, [TemplateNode])], otherwise: [TemplateNode])
    case assignment(String, TemplateExpression)
}

indirect enum TemplateExpression {
    case literal(TemplateValue)
    case name(String)
    case list([TemplateExpression])
    case member(TemplateExpression, String)
    case index(TemplateExpression, TemplateExpression)
    /// `value[start:end]`, either bound optional.
    case slice(TemplateExpression, TemplateExpression?, TemplateExpression?)
    case unary(String, TemplateExpression)
    case binary(String, TemplateExpression, TemplateExpression)
    /// `value is [not] test`
    case test(TemplateExpression, String, negated: Bool)
    case filter(TemplateExpression, String)
    /// A method call on a value, e.g. `content.strip()`.
    case call(TemplateExpression, String, [TemplateExpression])
}

/// A value while rendering. `undefined` is what Jinja gives for a missing name or key.
enum TemplateValue: Equatable {
    case undefined, none
    case bool(Bool)
    case int(Int)
    case string(String)
    case list([TemplateValue])
    case dict([String: TemplateValue])

    var truthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .string(let s): !s.isEmpty
        case .list(let l): !l.isEmpty
        case .dict(let d): !d.isEmpty
        }
    }
}

/// Why a chat template cannot be rendered; `unsupported` names the Jinja feature we lack.
public enum ChatTemplateError: Error, CustomStringConvertible, Sendable, Equatable {
    case syntax(String)
    case unsupported(String)
    case evaluation(String)

    public var description: String {
        switch self {
        case .syntax(let message): "chat template syntax: \(message)"
        case .unsupported(let feature): "chat template uses \(feature), which revmux does not render; write the prompt with --template instead"
        case .evaluation(let message): "chat template: \(message)"
        }
    }
}
