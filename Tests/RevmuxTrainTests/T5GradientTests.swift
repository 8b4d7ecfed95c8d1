import Foundation
import RevmuxCompute
import RevmuxModels
import RevmuxTestSupport
import RevmuxTrain
import XCTest

/// The T5 training path against transformers' own T5 blocks under torch autograd
/// (Tests/Fixtures/make_t5_train_references.py), for both feed-forwards T5 has (ReLU with the
/// tied head's d^-0.5, gated gelu_new untied): the mixed pass's input gradient (encoder
/// blocks with relative position bias, final norm, decoder blocks with causal self-attention
/// over a 3-token input and cross-attention), and the whole adapter loss (CE + 0.5·InfoNCE +
/// |cos|, verbaliser head at decoder position 0) with its gradient w.r.t. every adapter tensor.
final class T5GradientTests: XCTestCase {
    struct Variant: Decodable {
        let loss: TorchLoss
        let grads: [String: TorchGradient]
        let stack: TorchGradient
    }

    struct Reference: Decodable {
        let relu: Variant
        let gated: Variant
    }

    let d = 16, heads = 3, headSize = 6, ff = 24, vocab = 12, buckets = 8, maxDistance = 8, eps: Float = 1e-6
    let labelIds = [3, 7], start = 0
    let lengths = [6, 3, 5, 2, 4], length = 6, labels = [0, 1, 1, 0, 1]
    let stackShape = PaddedShape(count: 3, length: 5, lengths: [5, 2, 4]), stackDecoder = [0, 5, 9]
    let compute = Compute(threads: 2)

    struct Frozen {
        let encoder: [FrozenT5Layer], decoder: [FrozenT5Layer]
        let encoderNorm: Matrix, decoderNorm: Matrix, encoderBias: Matrix, decoderBias: Matrix
        let embeddings: Matrix, head: Matrix
        let states: Matrix, teacher: Matrix, x: Matrix, r: Matrix
        let gated: Bool, tied: Bool
    }

    /// The frozen weights and inputs of one variant, in the script's stream order.
    func frozen(gated: Bool) -> Frozen {
        var v = Values(seed: gated ? 8 : 7)
        let inner = heads * headSize
        let wd = 1 / Float(d).squareRoot(), wi = 1 / Float(inner).squareRoot(), wf = 1 / Float(ff).squareRoot()
        let linear = { (w: Matrix) in Linear(weight: w, bias: nil) }
        func attention() -> (q: Linear, k: Linear, v: Linear, o: Linear) {
            let q = v.matrix(inner, d, wd), k = v.matrix(inner, d, wd), value = v.matrix(inner, d, wd)
            return (linear(q), linear(k), linear(value), linear(v.matrix(d, inner, wi)))
        }
        func feedForward() -> (up: Linear, down: Linear, norm: Matrix) {
            let up = gated ? Linear.stacking([linear(v.matrix(ff, d, wd)), linear(v.matrix(ff, d, wd))]) : linear(v.matrix(ff, d, wd))
            return (up, linear(v.matrix(d, ff, wf)), v.matrix(1, d, 0.2, offset: 1))
        }
        func block(decoder: Bool) -> FrozenT5Layer {
            let own = attention(), norm = v.matrix(1, d, 0.2, offset: 1)
            var cross: FrozenT5CrossAttention?
            if decoder {
                let c = attention()
                cross = FrozenT5CrossAttention(q: c.q, kv: Linear.stacking([c.k, c.v]), output: c.o, norm: v.matrix(1, d, 0.2, offset: 1))
            }
            let (up, down, ffnNorm) = feedForward()
            return FrozenT5Layer(qkv: Linear.stacking([own.q, own.k, own.v]), output: own.o, attnNorm: norm, cross: cross, up: up,
                                 down: down, ffnNorm: ffnNorm)
        }
        let encoder = (0..<2).map { _ in block(decoder: false) }
        let decoder = (0..<2).map { _ in block(decoder: true) }
        let encoderNorm = v.matrix(1, d, 0.2, offset: 1), decoderNorm = v.matrix(1, d, 0.2, offset: 1)
        let encoderBias = v.matrix(buckets, heads, 1), decoderBias = v.matrix(buckets, heads, 1)
        let embeddings = v.matrix(vocab, d, 1)
        let head = gated ? v.matrix(vocab, d, wd) : embeddings
        let states = v.matrix(lengths.count * length, d, 2), teacher = v.matrix(lengths.count, d, 1)
        let x = v.matrix(stackShape.rows, d, 1.5), r = v.matrix(stackShape.count * stackDecoder.count, d, 1)
        return Frozen(encoder: encoder, decoder: decoder, encoderNorm: encoderNorm, decoderNorm: decoderNorm,
                      encoderBias: encoderBias, decoderBias: decoderBias, embeddings: embeddings, head: head, states: states,
                      teacher: teacher, x: x, r: r, gated: gated, tied: !gated)
    }

    func stack(_ f: Frozen, decoderIds: [Int]) -> TrainingT5 {
        let input = Matrix(rows: decoderIds.count, cols: d)
        for (i, id) in decoderIds.enumerated() { input.row(i).update(from: f.embeddings.row(id), count: d) }
        return TrainingT5(encoderLayers: f.encoder, decoderLayers: f.decoder, encoderNorm: f.encoderNorm, decoderInput: input,
                          encoderBias: f.encoderBias, decoderBias: f.decoderBias, heads: heads, maxDistance: maxDistance,
                          activation: f.gated ? .geluTanh : .relu, gated: f.gated, eps: eps, compute: compute)
    }

    func reference() throws -> Reference {
        let data = try Data(contentsOf: Repository.fixture("reference/t5-train-gradients.json"))
        return try JSONDecoder().decode(Reference.self, from: data)
    }

    func checkStack(gated: Bool, _ reference: Variant) {
        let f = frozen(gated: gated), stack = stack(f, decoderIds: stackDecoder)
        _ = stack.forward(f.x, stackShape)
        let worst = reference.stack.check(stack.backward(f.r), "stack")
        print("T5 \(gated ? "gated" : "relu") stack input gradient vs torch: max error / norm \(worst)")
    }

    func checkLoss(gated: Bool, _ reference: Variant) throws {
        let f = frozen(gated: gated)
        let labelRows = Matrix(rows: labelIds.count, cols: d)
        for (i, id) in labelIds.enumerated() { labelRows.row(i).update(from: f.head.row(id), count: d) }
        // The tied head's d^-0.5 folded into the final norm, as T5Model.headNorm does.
        let scale = f.tied ? 1 / Float(d).squareRoot() : 1
        let finalNorm = Matrix(rows: 1, cols: d, values: f.decoderNorm.toArray().map { $0 * scale })
        let head = VerbaliserHead(finalNorm: finalNorm, labelRows: labelRows, eps: eps, answer: .decoder(0))
        let objective = AdapterObjective(adapters: TrainableAdapters(hidden: d, width: 2, seed: 11),
                                         encoder: stack(f, decoderIds: [start]), head: head, compute: compute)
        objective.infoNCEWeight = 0.5
        let batch = PrefilledBatch(states: f.states, shape: PaddedShape(count: lengths.count, length: length, lengths: lengths),
                                   teacher: f.teacher, labels: labels)
        let (loss, _) = objective.evaluate(batch, backward: true)
        reference.loss.check(loss)
        let worst = try checkGradients(objective.adapters.parameters, against: reference.grads)
        print("T5 \(gated ? "gated" : "relu") adapter gradient vs torch: max error / norm \(worst)")
    }

    func testReluStackInputGradientMatchesTransformers() throws { checkStack(gated: false, try reference().relu) }
    func testGatedStackInputGradientMatchesTransformers() throws { checkStack(gated: true, try reference().gated) }
    func testReluAdapterLossMatchesTorchAutograd() throws { try checkLoss(gated: false, try reference().relu) }
    func testGatedAdapterLossMatchesTorchAutograd() throws { try checkLoss(gated: true, try reference().gated) }

    /// Central differences in f32 of Σ r ⊙ stack(x) at real positions of x, on the smooth
    /// (gelu_new) variant: the backward pass agrees with the forward it differentiates.
    func testGatedStackInputGradientMatchesFiniteDifferences() {
        let f = frozen(gated: true), stack = stack(f, decoderIds: stackDecoder)
        _ = stack.forward(f.x, stackShape)
        let dx = stack.backward(f.r)
        check(finiteDifferenceError(f.x, analytic: dx, step: 1e-2, samples: 40) {
            weightedSum(stack.forward(f.x, stackShape), f.r)
        }, 2e-2)
    }
}
