import Foundation
import RevmuxCompute
import RevmuxModels
import RevmuxTestSupport
import RevmuxTrain
import XCTest

/// The LLaMA training path against transformers' own decoder layers under torch autograd
/// (Tests/Fixtures/make_llama_train_references.py): the frozen stack's input gradient, and the
/// whole adapter loss (CE + 0.5·InfoNCE + |cos|, verbaliser head at each query's own last
/// token) with its gradient w.r.t. every adapter tensor.
final class LlamaGradientTests: XCTestCase {
    struct Reference: Decodable {
        let loss: TorchLoss
        let grads: [String: TorchGradient]
        let stack: TorchGradient
    }

    let d = 16, heads = 4, kvHeads = 2, inter = 24, vocab = 12, labelIds = [3, 7]
    let lengths = [6, 3, 5, 2, 4], length = 6, labels = [0, 1, 1, 0, 1]
    let stackShape = PaddedShape(count: 3, length: 5, lengths: [5, 2, 4])
    let compute = Compute(threads: 2)

    struct Frozen {
        let decoder: TrainingDecoder, head: VerbaliserHead
        let states: Matrix, teacher: Matrix, x: Matrix, r: Matrix
    }

    /// The frozen weights and inputs, in the script's stream order.
    func frozen() -> Frozen {
        var v = Values(seed: 7)
        let kv = kvHeads * d / heads, wd = 1 / Float(d).squareRoot(), wi = 1 / Float(inter).squareRoot()
        var layers: [FrozenLlamaLayer] = []
        for _ in 0..<2 {
            let q = v.matrix(d, d, wd), k = v.matrix(kv, d, wd), value = v.matrix(kv, d, wd), o = v.matrix(d, d, wd)
            let norm1 = v.matrix(1, d, 0.2, offset: 1)
            let gate = v.matrix(inter, d, wd), up = v.matrix(inter, d, wd), down = v.matrix(d, inter, wi)
            let norm2 = v.matrix(1, d, 0.2, offset: 1)
            let linear = { (w: Matrix) in Linear(weight: w, bias: nil) }
            layers.append(FrozenLlamaLayer(qkv: Linear.stacking([q, k, value].map(linear)), output: linear(o), attnNorm: norm1,
                                           gate: linear(gate), up: linear(up), down: linear(down), ffnNorm: norm2))
        }
        let finalNorm = v.matrix(1, d, 0.2, offset: 1)
        let embeddings = v.matrix(vocab, d, 1)
        let labelRows = Matrix(rows: labelIds.count, cols: d)
        for (i, id) in labelIds.enumerated() { labelRows.row(i).update(from: embeddings.row(id), count: d) }
        let states = v.matrix(lengths.count * length, d, 2), teacher = v.matrix(lengths.count, d, 1)
        let x = v.matrix(stackShape.rows, d, 1.5), r = v.matrix(stackShape.rows, d, 1)
        for b in 0..<stackShape.count {
            for t in stackShape.lengths[b]..<stackShape.length { r.row(b * stackShape.length + t).update(repeating: 0, count: d) }
        }
        let decoder = TrainingDecoder(layers: layers, heads: heads, kvHeads: kvHeads, eps: 1e-5, ropeTheta: 10000,
                                      ropeLayout: .halves, compute: compute)
        return Frozen(decoder: decoder, head: VerbaliserHead(finalNorm: finalNorm, labelRows: labelRows, eps: 1e-5),
                      states: states, teacher: teacher, x: x, r: r)
    }

    func reference() throws -> Reference {
        let data = try Data(contentsOf: Repository.fixture("reference/llama-train-gradients.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    func testStackInputGradientMatchesTransformers() throws {
        let reference = try reference(), f = frozen()
        _ = f.decoder.forward(f.x, stackShape)
        let worst = reference.stack.check(f.decoder.backward(f.r), "stack")
        print("LLaMA stack input gradient vs torch: max error / norm \(worst)")
    }

    func testAdapterLossMatchesTorchAutograd() throws {
        let reference = try reference(), f = frozen()
        let objective = AdapterObjective(adapters: TrainableAdapters(hidden: d, width: 2, seed: 11), encoder: f.decoder,
                                         head: f.head, compute: compute)
        objective.infoNCEWeight = 0.5
        let batch = PrefilledBatch(states: f.states, shape: PaddedShape(count: lengths.count, length: length, lengths: lengths),
                                   teacher: f.teacher, labels: labels)
        let (loss, _) = objective.evaluate(batch, backward: true)
        reference.loss.check(loss)
        let worst = try checkGradients(objective.adapters.parameters, against: reference.grads)
        print("LLaMA adapter gradient vs torch: max error / norm \(worst)")
    }
}
