import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxMux
import RevmuxTestSupport
import RevmuxTrain
import XCTest

/// What T5 training optimises is what `revmux run` computes: on the t5-small-sized gated
/// fixture with a random task, the objective's multiplexed logits (cached prefill, mixing,
/// TrainingT5, separation, VerbaliserHead) equal T5Classifier's, and the cached teacher
/// states give the classifier's unmultiplexed logits.
final class T5TrainingParityTests: XCTestCase {
    let queries = ["A gorgeous, witty film.", "Tedious and flat.", "I loved every minute.", "Badly acted.", "Fine."]
        .map { TextQuery($0) }

    func testTrainingForwardIsWhatRunComputes() throws {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-t5-parity-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let task = TaskOptions(muxWidth: 2, prefillLayers: 2, labels: ["negative", "positive"],
                               labelWords: ["negative", "positive"], template: "sentiment: {text}", source: .random(seed: 9))
        try Converter.convert(try SampleAssets.folder("t5-fixture-gated"), to: output, dtype: .keep, overwrite: true, task: task)
        let bundle = try BundleFile(path: output)
        let classifier = try T5Classifier(bundle: bundle, threads: 2)
        let model = classifier.model, config = model.config, d = config.hiddenSize
        let tokens = classifier.tokenize(queries)
        let mixed = try classifier.logits(tokens, multiplexed: true)
        let plain = try classifier.logits(tokens, multiplexed: false)

        let sequences = (0..<tokens.count).map { b in
            let ids = Array(tokens.ids[(b * tokens.length)..<(b * tokens.length + tokens.lengths[b])])
            return (ids: ids, typeIds: [Int32](repeating: 0, count: ids.count))
        }
        let states = try FrozenStates(model: model, sequences: sequences, prefillLayers: 2, batch: 32) { _ in }
        let taskFile = try bundle.selecting(task: nil)
        let values = try TrainableAdapters(hidden: d, width: 2, seed: 0).parameters.map { p in
            try taskFile.matrix(p.name, p.shape)
        }
        let compute = Compute(threads: 2)
        let labelRows = try model.headRows(classifier.labelTokenIds)
        let objective = AdapterObjective(
            adapters: TrainableAdapters(hidden: d, width: 2, values: values),
            encoder: try TrainingT5(bundle: bundle, encoderLayers: 2..<config.encoderLayers, config: config, compute: compute),
            head: VerbaliserHead(finalNorm: model.headNorm, labelRows: labelRows, eps: config.layerNormEps, answer: .decoder(0)),
            compute: compute)
        let (_, logits) = objective.evaluate(states.batch(Array(0..<queries.count), labels: [1, 0, 1, 0, 1]), backward: false)

        let teacher = Matrix(rows: queries.count, cols: labelRows.rows)
        sgemmABt(m: queries.count, n: labelRows.rows, k: d, alpha: 1, states.teacher.base, lda: d, labelRows.base, ldb: d,
                 beta: 0, teacher.base, ldc: teacher.cols)
        for q in 0..<queries.count {
            for label in 0..<2 {
                XCTAssertEqual(logits[q, label], mixed[q][label], accuracy: 1e-4 * max(1, abs(mixed[q][label])), "query \(q)")
                XCTAssertEqual(teacher[q, label], plain[q][label], accuracy: 1e-4 * max(1, abs(plain[q][label])), "query \(q)")
            }
        }
        XCTAssertNotEqual(mixed, plain)
    }
}
