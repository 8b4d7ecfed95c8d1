import Foundation
import RevmuxCompute
import RevmuxModels
import RevmuxTestSupport
import RevmuxTrain
import XCTest

/// The whole adapter loss (CE + 0.25·InfoNCE + |cos|) and its gradient w.r.t. every adapter
/// tensor, against torch autograd (Tests/Fixtures/make_train_references.py), on a tiny
/// BERT-like mixed pass. (Finite differences of the whole loss in f32 are too noisy here, at
/// the kinks of ReLU and |cos|; OpGradientTests checks each piece that way instead.)
final class AdapterGradientTests: XCTestCase {
    struct Reference: Decodable {
        struct Loss: Decodable { let ce, nce, cos, total: Double }
        struct Grad: Decodable { let norm: Double; let index: [Int]; let values: [Double] }
        let loss: Loss
        let grads: [String: Grad]
    }

    let d = 16, heads = 2, inter = 32, classes = 3, lengths = [6, 3, 5, 2, 4], length = 6, labels = [0, 2, 1, 0, 1]
    let compute = Compute(threads: 2)

    /// The frozen weights and inputs, in the script's stream order.
    func objective() -> (AdapterObjective, PrefilledBatch) {
        var v = Values(seed: 7)
        let wd = 1 / Float(d).squareRoot(), wi = 1 / Float(inter).squareRoot()
        var layers: [FrozenBertLayer] = []
        for _ in 0..<2 {
            let qkv = (0..<3).map { _ in Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd)) }
            let output = Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd))
            let norm1 = (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2))
            let up = Linear(weight: v.matrix(inter, d, wd), bias: v.matrix(1, inter, wd))
            let down = Linear(weight: v.matrix(d, inter, wi), bias: v.matrix(1, d, wi))
            let norm2 = (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2))
            layers.append(FrozenBertLayer(qkv: Linear.stacking(qkv), output: output, attnNorm: norm1, up: up, down: down,
                                          ffnNorm: norm2))
        }
        let pooler = Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd))
        let classifier = Linear(weight: v.matrix(classes, d, 1), bias: v.matrix(1, classes, wd))
        let states = v.matrix(lengths.count * length, d, 2)
        let teacher = v.matrix(lengths.count, d, 1)
        let encoder = TrainingEncoder(layers: layers, heads: heads, eps: 1e-12, compute: compute)
        let adapters = TrainableAdapters(hidden: d, width: 2, seed: 11)
        let objective = AdapterObjective(adapters: adapters, encoder: encoder,
                                         head: FrozenHead(pooler: pooler, classifier: classifier), compute: compute)
        let batch = PrefilledBatch(states: states, shape: PaddedShape(count: lengths.count, length: length, lengths: lengths),
                                   teacher: teacher, labels: labels)
        return (objective, batch)
    }

    func testMatchesTorchAutograd() throws {
        let data = try Data(contentsOf: Repository.fixture("reference/train-gradients.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        let (objective, batch) = objective()
        let (loss, _) = objective.evaluate(batch, backward: true)
        XCTAssertEqual(Double(loss.crossEntropy), reference.loss.ce, accuracy: 1e-5 * max(1, reference.loss.ce))
        XCTAssertEqual(Double(loss.infoNCE), reference.loss.nce, accuracy: 1e-5 * max(1, reference.loss.nce))
        XCTAssertEqual(Double(loss.cosine), reference.loss.cos, accuracy: 1e-5)
        XCTAssertEqual(Double(loss.total), reference.loss.total, accuracy: 1e-5 * max(1, reference.loss.total))
        var worstNorm = 0.0, worstEntry = 0.0
        for p in objective.adapters.parameters {
            let expected = try XCTUnwrap(reference.grads[p.name], p.name)
            let norm = (0..<p.grad.count).reduce(0.0) { $0 + Double(p.grad.base[$1]) * Double(p.grad.base[$1]) }.squareRoot()
            let normError = abs(norm - expected.norm) / expected.norm
            worstNorm = max(worstNorm, normError)
            XCTAssertLessThan(normError, 1e-4, p.name)
            for (i, value) in zip(expected.index, expected.values) {
                // Relative to the tensor's gradient norm: single entries may be ~0.
                let error = abs(Double(p.grad.base[i]) - value) / expected.norm
                worstEntry = max(worstEntry, error)
                XCTAssertLessThan(error, 1e-4, "\(p.name)[\(i)]")
            }
        }
        print("adapter gradient vs torch: max relative norm error \(worstNorm), max entry error / norm \(worstEntry)")
    }
}
