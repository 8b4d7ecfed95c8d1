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
        let loss: Double
        let grads: [String: TorchGradient]
    }

    let lengths = [6, 3, 5, 2, 4], length = 6, labels = [0, 2, 1, 0, 1]

    func testMatchesTorchAutograd() throws {
        var bert = TinyBert()
        let d = TinyBert.d
        let layers = bert.layers.enumerated().map { TunedBertLayer(index: $0, from: $1) }
        let classifier = TrainableLinear(name: "head.classifier", weight: bert.classifier.weight, bias: bert.classifier.bias!)
        let states = bert.values.matrix(lengths.count * length, d, 2)
        let objective = TuningObjective(layers: layers, heads: TinyBert.heads, eps: 1e-12, pooler: bert.pooler, classifier: classifier,
                                        compute: Compute(threads: 2))
        let batch = PrefilledBatch(states: states, shape: PaddedShape(count: lengths.count, length: length, lengths: lengths),
                                   teacher: Matrix(rows: lengths.count, cols: d), labels: labels)

        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Repository.fixture("reference/train-tuning.json")))
        let (loss, _) = objective.evaluate(batch, backward: true)
        XCTAssertEqual(Double(loss), reference.loss, accuracy: 1e-5 * max(1, reference.loss))
        XCTAssertEqual(Set(objective.parameters.map(\.name)), Set(reference.grads.keys), "every trained tensor is checked")
        let worst = try checkGradients(objective.parameters, against: reference.grads)
        print("tuning gradient vs torch: max error / norm \(worst)")

        // Saved under the backbone's names, Q, K and V split back apart.
        let saved = Dictionary(uniqueKeysWithValues: objective.savedTensors.map { ($0.name, $0) })
        XCTAssertEqual(saved["layers.1.attn.k.weight"]?.shape, [d, d])
        XCTAssertEqual(saved["layers.1.attn.k.weight"]?.value.toArray(), Array(layers[1].layer.qkv.weight.toArray()[(d * d)..<(2 * d * d)]))
        XCTAssertEqual(saved["layers.0.ffn.norm.bias"]?.shape, [d])
        XCTAssertNil(saved["layers.0.attn.qkv.weight"])
    }
}
