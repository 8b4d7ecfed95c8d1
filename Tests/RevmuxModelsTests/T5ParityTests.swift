import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTestSupport
import XCTest

/// T5Model against transformers' T5ForConditionalGeneration on the two random-weight t5-small
/// fixtures (assets t5-fixture-relu and t5-fixture-gated; references from
/// Tests/Fixtures/make_t5_references.py).
final class T5ParityTests: XCTestCase {
    struct Reference: Decodable {
        struct Variant: Decodable {
            let encoder: [[[Float]]]
            let logits: [[[Float]]]
            let argmax: [[Int]]
        }
        struct Buckets: Decodable {
            let from: Int
            let bidirectional: [Int]
            let causal: [Int]
        }
        let ids: [[Int32]]
        let decoder_ids: [[Int32]]
        let hidden_rows: [[Int]]
        let hidden_columns: [Int]
        let logit_columns: [Int]
        let variants: [String: Variant]
        let buckets: Buckets
    }

    nonisolated(unsafe) static var models: [String: T5Model] = [:]
    nonisolated(unsafe) static var cachedReference: Reference?

    func reference() throws -> Reference {
        if let cached = Self.cachedReference { return cached }
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Repository.fixture("reference/t5-references.json")))
        Self.cachedReference = reference
        return reference
    }

    /// The fixture converted to a temporary f32 bundle once per test run.
    func model(_ variant: String) throws -> T5Model {
        if let model = Self.models[variant] { return model }
        let folder = variant == "gated-gguf"
            ? try SampleAssets.file("t5-fixture-gated-gguf", "model.gguf") : try SampleAssets.folder("t5-fixture-\(variant)")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-t5-\(variant)-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        try Converter.convert(folder, to: output, dtype: .f32, overwrite: true)
        let model = try T5Model(bundle: BundleFile(path: output))
        Self.models[variant] = model
        return model
    }

    func testConfigFromManifest() throws {
        let relu = try model("relu"), gated = try model("gated")
        for config in [relu.config, gated.config] {
            XCTAssertEqual(config.hiddenSize, 512)
            XCTAssertEqual(config.headSize, 64)
            XCTAssertEqual(config.heads, 8)
            XCTAssertEqual(config.intermediateSize, 2048)
            XCTAssertEqual(config.encoderLayers, 6)
            XCTAssertEqual(config.decoderLayers, 6)
            XCTAssertEqual(config.vocabularySize, 8128)
            XCTAssertEqual(config.relativeBuckets, 32)
            XCTAssertEqual(config.relativeMaxDistance, 128)
            XCTAssertEqual(config.decoderStartTokenId, 0)
            XCTAssertEqual(config.eosTokenId, 1)
        }
        XCTAssertEqual(relu.config.activation, .relu)
        XCTAssertFalse(relu.config.gated)
        XCTAssertTrue(relu.config.tiedEmbeddings)
        XCTAssertEqual(gated.config.activation, .geluTanh)
        XCTAssertTrue(gated.config.gated)
        XCTAssertFalse(gated.config.tiedEmbeddings)
    }

    func testBucketsMatchTransformers() throws {
        let buckets = try reference().buckets
        for (index, (bidirectional, causal)) in zip(buckets.bidirectional, buckets.causal).enumerated() {
            let relative = buckets.from + index
            XCTAssertEqual(T5PositionBias.bucket(relative, bidirectional: true, buckets: 32, maxDistance: 128), bidirectional, "\(relative)")
            XCTAssertEqual(T5PositionBias.bucket(relative, bidirectional: false, buckets: 32, maxDistance: 128), causal, "\(relative)")
        }
    }

    func testReluTiedMatchesTransformers() throws { try checkParity("relu") }

    func testGatedGeluUntiedMatchesTransformers() throws { try checkParity("gated") }

    /// The same weights through llama.cpp's GGUF: the same outputs.
    func testLlamaCppGGUFMatchesTransformers() throws { try checkParity("gated-gguf", reference: "gated") }

    /// Encoder states and decoder logits of all 16 sentences, in padded batches of 4.
    private func checkParity(_ variant: String, reference name: String? = nil) throws {
        let model = try model(variant), reference = try reference()
        let expected = try XCTUnwrap(reference.variants[name ?? variant])
        var maxEncoder: Float = 0, maxLogits: Float = 0, argmaxMisses = 0
        for start in stride(from: 0, to: reference.ids.count, by: 4) {
            let range = start..<min(start + 4, reference.ids.count)
            let batch = TokenBatch(padding: Array(reference.ids[range]))
            let decoder = TokenBatch(padding: Array(reference.decoder_ids[range]))
            let encoded = try model.encode(batch)
            for (b, s) in range.enumerated() {
                for (row, t) in reference.hidden_rows[s].enumerated() {
                    for (column, c) in reference.hidden_columns.enumerated() {
                        maxEncoder = max(maxEncoder, abs(encoded[b * batch.length + t, c] - expected.encoder[s][row][column]))
                    }
                }
            }
            let states = try model.decode(decoder, encoderOutput: encoded, encoder: batch.shape)
            for (b, s) in range.enumerated() {
                let rows = (0..<decoder.lengths[b]).map { b * decoder.length + $0 }
                for (t, logits) in model.logits(states, rows: rows).enumerated() {
                    for (column, c) in reference.logit_columns.enumerated() {
                        maxLogits = max(maxLogits, abs(logits[c] - expected.logits[s][t][column]))
                    }
                    let best = logits.indices.max { logits[$0] < logits[$1] }!
                    if best != expected.argmax[s][t] { argmaxMisses += 1 }
                }
            }
        }
        XCTAssertLessThanOrEqual(maxEncoder, 1e-4, "\(variant): encoder output max abs diff")
        XCTAssertLessThanOrEqual(maxLogits, 1e-4, "\(variant): decoder logits max abs diff")
        XCTAssertEqual(argmaxMisses, 0, "\(variant): argmax differs")
        print("T5Parity \(variant): encoder max abs diff \(maxEncoder), logits max abs diff \(maxLogits)")
    }

    /// A sequence gives the same output alone and in a padded batch, and the encoder stack
    /// split in two ranges (as the multiplexer runs it) equals one run.
    func testBatchIndependentAndSplitEncoder() throws {
        let model = try model("gated"), reference = try reference()
        let sequences = Array(reference.ids[2..<6]), decoders = Array(reference.decoder_ids[2..<6])
        let batch = TokenBatch(padding: sequences), decoder = TokenBatch(padding: decoders)
        let hidden = try model.embed(batch)
        model.runEncoderLayers(0..<2, hidden, batch.shape)
        model.runEncoderLayers(2..<model.encoderLayerCount, hidden, batch.shape)
        model.finishEncoder(hidden)
        let batchedEncoder = hidden.toArray()
        let batchedStates = try model.decode(decoder, encoderOutput: hidden, encoder: batch.shape)
        let batchedLogits = model.logits(batchedStates, rows: (0..<4).map { $0 * decoder.length + decoder.lengths[$0] - 1 })
        var worst: Float = 0
        for b in 0..<4 {
            let alone = TokenBatch(padding: [sequences[b]]), aloneDecoder = TokenBatch(padding: [decoders[b]])
            let encoded = try model.encode(alone)
            for t in 0..<alone.length {
                for c in 0..<model.config.hiddenSize {
                    worst = max(worst, abs(encoded[t, c] - batchedEncoder[(b * batch.length + t) * model.config.hiddenSize + c]))
                }
            }
            let states = try model.decode(aloneDecoder, encoderOutput: encoded, encoder: alone.shape)
            let logits = model.logits(states, rows: [aloneDecoder.length - 1])[0]
            for (x, y) in zip(logits, batchedLogits[b]) { worst = max(worst, abs(x - y)) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "batched vs alone max abs diff")
        print("T5Parity: batched vs alone max abs diff \(worst)")
    }

    /// f16 weights converted at load stay close to f32, and two threads give what one gives.
    func testHalfPrecisionAndThreadsAgree() throws {
        let full = try model("gated"), reference = try reference()
        let folder = try SampleAssets.folder("t5-fixture-gated")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-t5-f16-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        try Converter.convert(folder, to: output, dtype: .f16, overwrite: true)
        let half1 = try T5Model(bundle: BundleFile(path: output), threads: 1)
        let half2 = try T5Model(bundle: BundleFile(path: output), threads: 2)
        let batch = TokenBatch(padding: Array(reference.ids[8..<16]))
        let decoder = TokenBatch(padding: Array(reference.decoder_ids[8..<16]))
        let rows = (0..<batch.count).map { $0 * decoder.length + decoder.lengths[$0] - 1 }
        func lastLogits(_ model: T5Model) throws -> [[Float]] {
            model.logits(try model.decode(decoder, encoderOutput: try model.encode(batch), encoder: batch.shape), rows: rows)
        }
        let a = try lastLogits(half1), b = try lastLogits(half2), f = try lastLogits(full)
        var threadsWorst: Float = 0, halfWorst: Float = 0
        for i in 0..<rows.count {
            for (x, y) in zip(a[i], b[i]) { threadsWorst = max(threadsWorst, abs(x - y)) }
            for (x, y) in zip(a[i], f[i]) { halfWorst = max(halfWorst, abs(x - y)) }
        }
        XCTAssertLessThanOrEqual(threadsWorst, 1e-5, "one vs two threads")
        XCTAssertLessThanOrEqual(halfWorst, 0.05, "f16 vs f32 weights")
        print("T5Parity: threads max abs diff \(threadsWorst), f16 vs f32 logits max abs diff \(halfWorst)")
    }

    /// Label-word logits are the full head's columns for those tokens.
    func testRestrictedLogitsEqualFullColumns() throws {
        try Self.checkRestrictedLogits(try model("relu"), reference: try reference(), accuracy: 1e-5)
    }

    /// Decodes the first reference pair and compares label-word logits with the full head's
    /// columns; a token past the vocabulary is refused.
    static func checkRestrictedLogits(_ model: T5Model, reference: Reference, accuracy: Float,
                                      file: StaticString = #filePath, line: UInt = #line) throws {
        let batch = TokenBatch(padding: [reference.ids[0]]), decoder = TokenBatch(padding: [reference.decoder_ids[0]])
        let states = try model.decode(decoder, encoderOutput: try model.encode(batch), encoder: batch.shape)
        let words: [Int32] = [5, 77, 1420, 8127]
        let rows = Array(0..<decoder.length)
        let full = model.logits(states, rows: rows), restricted = try model.logits(states, rows: rows, tokens: words)
        for (f, r) in zip(full, restricted) {
            for (i, id) in words.enumerated() { XCTAssertEqual(r[i], f[Int(id)], accuracy: accuracy, file: file, line: line) }
        }
        XCTAssertThrowsError(try model.logits(states, rows: rows, tokens: [8128]), file: file, line: line)
    }

    /// gelu_new's vector path against the scalar formula with Glibc's tanhf.
    func testTanhGeluKernel() {
        var values = (0..<203).map { Float($0) / 10 - 10 }
        let expected = values.map { 0.5 * $0 * (1 + tanhf(0.7978845608 * ($0 + 0.044715 * $0 * $0 * $0))) }
        values.withUnsafeMutableBufferPointer { geluTanhInPlace($0.baseAddress!, count: $0.count) }
        for (x, y) in zip(values, expected) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }
}
