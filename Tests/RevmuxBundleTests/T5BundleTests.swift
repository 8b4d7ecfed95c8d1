import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxTensors
import RevmuxTestSupport
import XCTest

/// `revmux convert` of the two random-weight T5 fixtures (assets t5-fixture-relu and
/// t5-fixture-gated, Hugging Face layout): every tensor byte-identical under its canonical
/// name, every hyper-parameter in the manifest.
final class T5BundleTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-t5-bundle-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func convertF32(_ variant: String) throws -> (folder: String, bundle: BundleFile) {
        let folder = try SampleAssets.folder("t5-fixture-\(variant)")
        let output = scratch.appendingPathComponent("\(variant).revmux").path
        try Converter.convert(folder, to: output, dtype: .f32, overwrite: false)
        let bundle = try BundleFile(path: output)
        try bundle.verify()
        return (folder, bundle)
    }

    private func checkTensors(_ folder: String, _ bundle: BundleFile, expectedCount: Int) throws {
        let source = try SafetensorsFile(path: folder + "/model.safetensors")
        XCTAssertEqual(bundle.manifest.family, .t5)
        XCTAssertEqual(bundle.manifest.tensors.count, expectedCount)
        XCTAssertEqual(source.tensors.count, expectedCount)
        for entry in source.tensors {
            let canonical = try XCTUnwrap(try NameMapping.t5.canonical(entry.name), entry.name)
            let ours = try XCTUnwrap(bundle.tensor(named: canonical), canonical)
            XCTAssertEqual(ours.shape, entry.shape, canonical)
            XCTAssertEqual(crc32(ours.data), crc32(source.file.tensor(entry).data), "\(canonical) differs from \(entry.name)")
        }
        let tokenizer = try XCTUnwrap(try bundle.tokenizerBytes())
        XCTAssertEqual(Data(tokenizer), FileManager.default.contents(atPath: folder + "/tokenizer.json"))
    }

    func testOriginalT5ReluTied() throws {
        let (folder, bundle) = try convertF32("relu")
        // shared, 2 position biases, 2 final norms; an encoder layer has q k v o, wi wo and 2 norms (8),
        // a decoder layer those and cross-attention's q k v o and norm (13).
        try checkTensors(folder, bundle, expectedCount: 1 + 2 + 2 + 6 * 8 + 6 * 13)
        XCTAssertNil(bundle.tensor(named: "head.weight"))
        XCTAssertEqual(bundle.tensor(named: "encoder.position_bias")?.shape, [32, 8])
        XCTAssertEqual(bundle.tensor(named: "decoder.layers.5.cross.k.weight")?.shape, [512, 512])
        let config = bundle.manifest.config
        XCTAssertEqual(config["hidden_size"], .int(512))
        XCTAssertEqual(config["head_size"], .int(64))
        XCTAssertEqual(config["heads"], .int(8))
        XCTAssertEqual(config["intermediate_size"], .int(2048))
        XCTAssertEqual(config["layers"], .int(6))
        XCTAssertEqual(config["decoder_layers"], .int(6))
        XCTAssertEqual(config["vocab_size"], .int(8128))
        XCTAssertEqual(config["relative_buckets"], .int(32))
        XCTAssertEqual(config["relative_max_distance"], .int(128))
        XCTAssertEqual(config["activation"], .string("relu"))
        XCTAssertEqual(config["gated"], .bool(false))
        XCTAssertEqual(config["tied_embeddings"], .bool(true))
        XCTAssertEqual(config["layer_norm_eps"], .double(1e-6))
        XCTAssertEqual(config["decoder_start_token_id"], .int(0))
        XCTAssertEqual(config["pad_token_id"], .int(0))
        XCTAssertEqual(config["eos_token_id"], .int(1))
    }

    func testFlanStyleGatedGeluUntied() throws {
        let (folder, bundle) = try convertF32("gated")
        // One more FFN matrix per layer (wi_0, wi_1) and the separate head.
        try checkTensors(folder, bundle, expectedCount: 1 + 2 + 2 + 6 * 9 + 6 * 14 + 1)
        XCTAssertEqual(bundle.tensor(named: "head.weight")?.shape, [8128, 512])
        XCTAssertEqual(bundle.tensor(named: "encoder.layers.0.ffn.gate.weight")?.shape, [2048, 512])
        XCTAssertEqual(bundle.manifest.config["activation"], .string("gelu_new"))
        XCTAssertEqual(bundle.manifest.config["gated"], .bool(true))
        XCTAssertEqual(bundle.manifest.config["tied_embeddings"], .bool(false))
    }

    func testTaskNeedsLabelWordsAndCountsEncoderLayers() throws {
        let folder = try SampleAssets.folder("t5-fixture-relu")
        let output = scratch.appendingPathComponent("task.revmux").path
        var task = TaskOptions(muxWidth: 2, prefillLayers: 6, labels: ["negative", "positive"], labelWords: [], template: nil,
                               source: .random(seed: 1))
        XCTAssertThrowsError(try Converter.convert(folder, to: output, dtype: .f32, overwrite: false, task: task))
        task.labelWords = ["bad", "good"]
        XCTAssertThrowsError(try Converter.convert(folder, to: output, dtype: .f32, overwrite: false, task: task),
                             "prefill must stay below the 6 encoder layers")
        task.prefillLayers = 2
        try Converter.convert(folder, to: output, dtype: .f32, overwrite: false, task: task)
        let bundle = try BundleFile(path: output).selecting(task: nil)
        XCTAssertEqual(bundle.task?.muxWidth, 2)
        XCTAssertNil(bundle.tensor(named: "head.classifier.weight"))
    }

    /// The GGUF llama.cpp's converter makes of the gated fixture gives the same bundle tensors,
    /// byte for byte, and the same config as the Hugging Face folder.
    func testLlamaCppGGUFMatchesTheFolder() throws {
        let (_, folderBundle) = try convertF32("gated")
        let path = try SampleAssets.file("t5-fixture-gated-gguf", "model.gguf")
        let output = scratch.appendingPathComponent("gguf.revmux").path
        try Converter.convert(path, to: output, dtype: .keep, overwrite: false)
        let bundle = try BundleFile(path: output)
        try bundle.verify()
        XCTAssertEqual(bundle.manifest.family, .t5)
        // GGUF keeps the epsilon as f32: equal once both are f32.
        var config = bundle.manifest.config, folderConfig = folderBundle.manifest.config
        guard case .double(let eps)? = config.removeValue(forKey: "layer_norm_eps"),
              case .double(let folderEps)? = folderConfig.removeValue(forKey: "layer_norm_eps") else {
            return XCTFail("layer_norm_eps missing")
        }
        XCTAssertEqual(Float(eps), Float(folderEps))
        XCTAssertEqual(config, folderConfig)
        XCTAssertEqual(Set(bundle.manifest.tensors.map(\.name)), Set(folderBundle.manifest.tensors.map(\.name)))
        for tensor in folderBundle.manifest.tensors {
            let ours = try XCTUnwrap(bundle.tensor(named: tensor.name), tensor.name)
            let expected = try XCTUnwrap(folderBundle.tensor(named: tensor.name))
            XCTAssertEqual(ours.shape, expected.shape, tensor.name)
            XCTAssertEqual(crc32(ours.data), crc32(expected.data), tensor.name)
        }
        XCTAssertEqual(bundle.manifest.tokenizer?.kind, .gguf)
    }
}
