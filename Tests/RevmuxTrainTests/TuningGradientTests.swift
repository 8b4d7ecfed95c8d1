import Foundation
import RevmuxCompute
import RevmuxModels
import RevmuxTestSupport
import RevmuxTrain
import XCTest

/// `train head --tune-layers`: the cross-entropy and its gradient w.r.t. every weight of the
/// tuned layers, the pooler and the classifier, against torch autograd
/// (Tests/Fixtures/make_train_references.py, tuning()), on the same tiny BERT as
/// AdapterGradientTests.
final class TuningGradientTests: XCTestCase {
    struct Reference: Decodable {
        struct Grad: Decodable { let norm: Double; let index: [Int]; let values: [Double] }
        let loss: Double
        let grads: [String: Grad]
    }

    let d = 16, heads = 2, inter = 32, classes = 3, lengths = [6, 3, 5, 2, 4], length = 6, labels = [0, 2, 1, 0, 1]

    func testMatchesTorchAutograd() throws {
        var v = Values(seed: 7)
        let wd = 1 / Float(d).squareRoot(), wi = 1 / Float(inter).squareRoot()
        var layers: [TunedBertLayer] = []
        for index in 0..<2 {
            let qkv = (0..<3).map { _ in Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd)) }
            let output = Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd))
            let norm1 = (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2))
            let up = Linear(weight: v.matrix(inter, d, wd), bias: v.matrix(1, inter, wd))
            let down = Linear(weight: v.matrix(d, inter, wi), bias: v.matrix(1, d, wi))
            let norm2 = (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2))
            layers.append(TunedBertLayer(index: index, from: FrozenBertLayer(
                qkv: Linear.stacking(qkv), output: output, attnNorm: norm1, up: up, down: down, ffnNorm: norm2)))
        }
        let pooler = Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd))
        let classifier = TrainableLinear(name: "head.classifier", weight: v.matrix(classes, d, 1), bias: v.matrix(1, classes, wd))
        let states = v.matrix(lengths.count * length, d, 2)
        let objective = TuningObjective(layers: layers, heads: heads, eps: 1e-12, pooler: pooler, classifier: classifier,
                                        compute: Compute(threads: 2))
        let batch = PrefilledBatch(states: states, shape: PaddedShape(count: lengths.count, length: length, lengths: lengths),
                                   teacher: Matrix(rows: lengths.count, cols: d), labels: labels)

        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Repository.fixture("reference/train-tuning.json")))
        let (loss, _) = objective.evaluate(batch, backward: true)
        XCTAssertEqual(Double(loss), reference.loss, accuracy: 1e-5 * max(1, reference.loss))
        XCTAssertEqual(Set(objective.parameters.map(\.name)), Set(reference.grads.keys), "every trained tensor is checked")
        var worstNorm = 0.0, worstEntry = 0.0
        for p in objective.parameters {
            let expected = try XCTUnwrap(reference.grads[p.name], p.name)
            let norm = (0..<p.grad.count).reduce(0.0) { $0 + Double(p.grad.base[$1]) * Double(p.grad.base[$1]) }.squareRoot()
            let normError = abs(norm - expected.norm) / expected.norm
            worstNorm = max(worstNorm, normError)
            XCTAssertLessThan(normError, 1e-4, p.name)
            for (i, value) in zip(expected.index, expected.values) {
                let error = abs(Double(p.grad.base[i]) - value) / expected.norm
                worstEntry = max(worstEntry, error)
                XCTAssertLessThan(error, 1e-4, "\(p.name)[\(i)]")
            }
        }
        print("tuning gradient vs torch: max relative norm error \(worstNorm), max entry error / norm \(worstEntry)")

        // Saved under the backbone's names, Q, K and V split back apart.
        let saved = Dictionary(uniqueKeysWithValues: objective.savedTensors.map { ($0.name, $0) })
        XCTAssertEqual(saved["layers.1.attn.k.weight"]?.shape, [d, d])
        XCTAssertEqual(saved["layers.1.attn.k.weight"]?.value.toArray(), Array(layers[1].layer.qkv.weight.toArray()[(d * d)..<(2 * d * d)]))
        XCTAssertEqual(saved["layers.0.ffn.norm.bias"]?.shape, [d])
        XCTAssertNil(saved["layers.0.attn.qkv.weight"])
    }
}
