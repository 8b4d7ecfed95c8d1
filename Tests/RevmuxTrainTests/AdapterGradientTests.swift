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
        let loss: TorchLoss
        let grads: [String: TorchGradient]
    }

    let lengths = [6, 3, 5, 2, 4], length = 6, labels = [0, 2, 1, 0, 1]
    let compute = Compute(threads: 2)

    /// The frozen weights and inputs, in the script's stream order.
    func objective() -> (AdapterObjective, PrefilledBatch) {
        var bert = TinyBert()
        let d = TinyBert.d
        let states = bert.values.matrix(lengths.count * length, d, 2)
        let teacher = bert.values.matrix(lengths.count, d, 1)
        let encoder = TrainingEncoder(layers: bert.layers, heads: TinyBert.heads, eps: 1e-12, compute: compute)
        let adapters = TrainableAdapters(hidden: d, width: 2, seed: 11)
        let objective = AdapterObjective(adapters: adapters, encoder: encoder,
                                         head: FrozenHead(pooler: bert.pooler, classifier: bert.classifier), compute: compute)
        let batch = PrefilledBatch(states: states, shape: PaddedShape(count: lengths.count, length: length, lengths: lengths),
                                   teacher: teacher, labels: labels)
        return (objective, batch)
    }

    func testMatchesTorchAutograd() throws {
        let data = try Data(contentsOf: Repository.fixture("reference/train-gradients.json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        let (objective, batch) = objective()
        let (loss, _) = objective.evaluate(batch, backward: true)
        reference.loss.check(loss)
        let worst = try checkGradients(objective.adapters.parameters, against: reference.grads)
        print("adapter gradient vs torch: max error / norm \(worst)")
    }
}
