import Foundation
import RevmuxFormats
import RevmuxTestSupport
import RevmuxTokenizers
import XCTest

/// Real chat templates (from the sample GGUFs) rendered as jinja2 renders them for
/// transformers (Tests/Fixtures/make_chat_templates.py): the same prompt, or a clear
/// "unsupported", never a different prompt.
final class ChatTemplateTests: XCTestCase {
    struct Case: Decodable {
        let asset: String
        let file: String
        let bos: String
        let eos: String
        let expected: String?
    }

    func testRealTemplatesRenderAsJinjaDoes() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: Repository.fixture("reference/chat-templates.json")))
        var rendered: [String] = []
        for item in cases {
            let gguf = try GGUFFile(path: try SampleAssets.file(item.asset, item.file))
            guard case .string(let source)? = gguf.layout.value("tokenizer.chat_template") else {
                return XCTFail("\(item.file) has no chat template")
            }
            do {
                let prompt = try ChatTemplate(source).render(userMessage: "{text}", bosToken: item.bos, eosToken: item.eos)
                XCTAssertEqual(prompt, item.expected, item.file)
                rendered.append(item.file)
            } catch ChatTemplateError.unsupported {
                continue
            }
        }
        // Gemma 4's template uses macros and namespaces; the others must render.
        XCTAssertEqual(rendered, cases.map(\.file).filter { !$0.contains("gemma-4") })
    }

    func testWhitespaceControlAndScoping() throws {
        let template = """
            {%- set greeting = 'Hi' -%}
            {% for message in messages %}
              {{- greeting ~ ' ' ~ message['role'] | upper }}: {{ message.content | trim -}}
              {% if loop.last and not (message.role == 'system') %}!{% endif %}
            {% endfor %}
            {%- if add_generation_prompt %}>{% endif %}
            """
        let prompt = try ChatTemplate(template).render(userMessage: "  {text} ", bosToken: "<s>", eosToken: "</s>")
        XCTAssertEqual(prompt, "Hi USER: {text}!>")  // what jinja2 renders
    }

    func testUnsupportedFeaturesAreNamed() {
        XCTAssertThrowsError(try ChatTemplate("{% macro m() %}x{% endmacro %}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unsupported("{% macro %}"))
        }
        XCTAssertThrowsError(try ChatTemplate("{{ x if y else z }}")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .unsupported("inline if expressions"))
        }
        XCTAssertThrowsError(try ChatTemplate("{{ raise_exception('no system role') }}").render(userMessage: "", bosToken: "", eosToken: "")) { error in
            XCTAssertEqual(error as? ChatTemplateError, .evaluation("no system role"))
        }
    }
}
