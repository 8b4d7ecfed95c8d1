import Foundation
import RevmuxCompute
import RevmuxModels
import RevmuxTrain
import XCTest

/// Every backward pass against central finite differences in f32.
final class OpGradientTests: XCTestCase {
    let compute = Compute(threads: 2)

    func testLinear() {
        var v = Values(seed: 1)
        let x = v.matrix(7, 5, 1), w = v.matrix(4, 5, 1), b = v.matrix(1, 4, 1), r = v.matrix(7, 4, 1)
        let layer = TrainableLinear(name: "t", weight: w, bias: b)
        func loss() -> Float {
            let y = Matrix(rows: 7, cols: 4)
            compute.linear(x, layer.linear, into: y)
            return weightedSum(y, r)
        }
        let dx = Matrix(rows: 7, cols: 5)
        layer.backward(x: x, rows: 7, dy: r, dx: dx)
        check(finiteDifferenceError(x, analytic: dx, loss: loss), 2e-3)
        check(finiteDifferenceError(w, analytic: layer.weight.grad, loss: loss), 2e-3)
        check(finiteDifferenceError(b, analytic: layer.bias.grad, loss: loss), 2e-3)
    }

    func testLayerNorm() {
        var v = Values(seed: 2)
        let x = v.matrix(5, 16, 2), gamma = v.matrix(1, 16, 0.3, offset: 1), beta = v.matrix(1, 16, 0.3), r = v.matrix(5, 16, 1)
        let xhat = Matrix(rows: 5, cols: 16), inv = Matrix(rows: 5, cols: 1), y = Matrix(rows: 5, cols: 16)
        func loss() -> Float {
            Pointwise.layerNorm(x, rows: 5, gamma: gamma, beta: beta, eps: 1e-12, normalized: xhat, inverseStd: inv, into: y)
            return weightedSum(y, r)
        }
        _ = loss()
        let dx = Matrix(rows: 5, cols: 16)
        Pointwise.layerNormBackward(r, rows: 5, gamma: gamma, normalized: xhat, inverseStd: inv, into: dx)
        check(finiteDifferenceError(x, analytic: dx, step: 5e-3, loss: loss), 1e-2)
        // The parameters' gradients, which tuned layers train (x̂ again from the unperturbed x).
        _ = loss()
        let dGamma = Matrix(rows: 1, cols: 16), dBeta = Matrix(rows: 1, cols: 16)
        Pointwise.layerNormParameterBackward(r, rows: 5, normalized: xhat, dGamma: dGamma, dBeta: dBeta)
        check(finiteDifferenceError(gamma, analytic: dGamma, loss: loss), 2e-3)
        check(finiteDifferenceError(beta, analytic: dBeta, loss: loss), 2e-3)
    }

    func testPointwise() {
        var v = Values(seed: 3)
        let x = v.matrix(1, 64, 3), r = v.matrix(1, 64, 1)
        // GELU (erf), ReLU and tanh: d/dx Σ r·f(x) entry by entry.
        let gelu = Matrix(rows: 1, cols: 64)
        gelu.base.update(from: r.base, count: 64)
        Pointwise.geluBackward(gelu.base, input: x.base, count: 64)
        check(finiteDifferenceError(x, analytic: gelu, step: 1e-2) {
            let y = Matrix(rows: 1, cols: 64)
            y.base.update(from: x.base, count: 64)
            compute.gelu(y)
            return weightedSum(y, r)
        }, 5e-3)
        let tanhOut = Matrix(rows: 1, cols: 64), dTanh = Matrix(rows: 1, cols: 64)
        for i in 0..<64 { tanhOut.base[i] = tanhf(x.base[i]) }
        dTanh.base.update(from: r.base, count: 64)
        Pointwise.tanhBackward(dTanh.base, output: tanhOut.base, count: 64)
        check(finiteDifferenceError(x, analytic: dTanh) {
            (0..<64).reduce(Float(0)) { $0 + tanhf(x.base[$1]) * r.base[$1] }
        }, 5e-3)
        // ReLU away from the kink (finite differences straddling 0 are meaningless).
        for i in 0..<64 where abs(x.base[i]) < 0.05 { x.base[i] = 0.5 }
        let reluOut = Matrix(rows: 1, cols: 64), dRelu = Matrix(rows: 1, cols: 64)
        for i in 0..<64 { reluOut.base[i] = max(x.base[i], 0) }
        dRelu.base.update(from: r.base, count: 64)
        Pointwise.reluBackward(dRelu.base, output: reluOut.base, count: 64)
        check(finiteDifferenceError(x, analytic: dRelu) {
            (0..<64).reduce(Float(0)) { $0 + max(x.base[$1], 0) * r.base[$1] }
        }, 1e-3)
    }

    func testSoftmax() {
        var v = Values(seed: 4)
        let x = v.matrix(1, 9, 2), r = v.matrix(1, 9, 1)
        let p = Matrix(rows: 1, cols: 9)
        func loss() -> Float {
            p.base.update(from: x.base, count: 9)
            softmaxInPlace(p.base, count: 9)
            return weightedSum(p, r)
        }
        _ = loss()
        let dx = Matrix(rows: 1, cols: 9)
        dx.base.update(from: r.base, count: 9)
        Pointwise.softmaxBackward(dx.base, probabilities: p.base, count: 9)
        check(finiteDifferenceError(x, analytic: dx, loss: loss), 1e-2)
    }

    /// Two BERT layers (attention with padding masks, residuals, both LayerNorms, GELU FFN).
    func testEncoderLayers() {
        var v = Values(seed: 5)
        let d = 16, inter = 32
        func layer() -> FrozenBertLayer {
            let bound = 1 / Float(d).squareRoot()
            func linear(_ out: Int, _ inFeatures: Int) -> Linear {
                Linear(weight: v.matrix(out, inFeatures, 1 / Float(inFeatures).squareRoot()), bias: v.matrix(1, out, bound))
            }
            return FrozenBertLayer(qkv: linear(3 * d, d), output: linear(d, d),
                                   attnNorm: (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2)),
                                   up: linear(inter, d), down: linear(d, inter),
                                   ffnNorm: (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2)))
        }
        let encoder = TrainingEncoder(layers: [layer(), layer()], heads: 2, eps: 1e-12, compute: compute)
        let shape = PaddedShape(count: 3, length: 5, lengths: [5, 2, 4])
        let x = v.matrix(15, d, 1.5), r = v.matrix(15, d, 1)
        // Padded rows carry no loss: nothing downstream reads them.
        for b in 0..<3 { for t in shape.lengths[b]..<5 { r.row(b * 5 + t).update(repeating: 0, count: d) } }
        func loss() -> Float { weightedSum(encoder.forward(x, shape), r) }
        _ = loss()
        let dx = encoder.backward(r)
        check(finiteDifferenceError(x, analytic: dx, step: 1e-2, loss: loss), 2e-2)
    }

    func testRMSNorm() {
        var v = Values(seed: 8)
        let x = v.matrix(5, 16, 2), gamma = v.matrix(1, 16, 0.3, offset: 1), r = v.matrix(5, 16, 1)
        let inv = Matrix(rows: 5, cols: 1), y = Matrix(rows: 5, cols: 16)
        func loss() -> Float {
            Pointwise.rmsNorm(x, rows: 5, gamma: gamma, eps: 1e-5, inverseRms: inv, into: y)
            return weightedSum(y, r)
        }
        _ = loss()
        let dx = Matrix(rows: 5, cols: 16)
        Pointwise.rmsNormBackward(r, rows: 5, gamma: gamma, input: x, inverseRms: inv, addingInto: dx)
        check(finiteDifferenceError(x, analytic: dx, step: 5e-3, loss: loss), 1e-2)
    }

    func testSwiGLU() {
        var v = Values(seed: 9)
        let gate = v.matrix(1, 64, 4), up = v.matrix(1, 64, 2), r = v.matrix(1, 64, 1)
        func loss() -> Float {
            let a = Matrix(rows: 1, cols: 64)
            a.base.update(from: up.base, count: 64)
            swigluInPlace(a.base, gate: gate.base, count: 64)
            return weightedSum(a, r)
        }
        let dUp = Matrix(rows: 1, cols: 64), dGate = Matrix(rows: 1, cols: 64)
        dUp.base.update(from: r.base, count: 64)
        Pointwise.swigluBackward(dUp.base, dGate: dGate.base, gate: gate.base, up: up.base, count: 64)
        check(finiteDifferenceError(gate, analytic: dGate, loss: loss), 5e-3)
        check(finiteDifferenceError(up, analytic: dUp, loss: loss), 5e-3)
    }

    /// The rotary embeddings are a rotation: their gradient is the transposed rotation.
    func testRotary() {
        for layout in [RopeLayout.halves, .interleaved] {
            var v = Values(seed: 10)
            let table = RotaryTable(length: 7, headSize: 8, theta: 10000)
            let x = v.matrix(7, 8, 1), r = v.matrix(7, 8, 1)
            func loss() -> Float {
                let y = Matrix(rows: 7, cols: 8)
                y.base.update(from: x.base, count: 56)
                for t in 0..<7 { table.apply(y.row(t), position: t, layout: layout) }
                return weightedSum(y, r)
            }
            let dx = Matrix(rows: 7, cols: 8)
            dx.base.update(from: r.base, count: 56)
            for t in 0..<7 { table.applyTransposed(dx.row(t), position: t, layout: layout) }
            check(finiteDifferenceError(x, analytic: dx, loss: loss), 5e-3)
        }
    }

    /// Two LLaMA layers: RMSNorms, rotary embeddings (each layout), causal attention with padding
    /// and 4 query heads on 2 K/V heads, SwiGLU, residuals.
    func testDecoderLayers() {
        for layout in [RopeLayout.halves, .interleaved] {
            var v = Values(seed: 11)
            let d = 16, kv = 8, inter = 24
            func linear(_ out: Int, _ inFeatures: Int) -> Linear {
                Linear(weight: v.matrix(out, inFeatures, 1 / Float(inFeatures).squareRoot()), bias: nil)
            }
            func layer() -> FrozenLlamaLayer {
                FrozenLlamaLayer(qkv: linear(d + 2 * kv, d), output: linear(d, d), attnNorm: v.matrix(1, d, 0.2, offset: 1),
                                 gate: linear(inter, d), up: linear(inter, d), down: linear(d, inter),
                                 ffnNorm: v.matrix(1, d, 0.2, offset: 1))
            }
            let decoder = TrainingDecoder(layers: [layer(), layer()], heads: 4, kvHeads: 2, eps: 1e-5, ropeTheta: 10000,
                                          ropeLayout: layout, compute: compute)
            let shape = PaddedShape(count: 3, length: 5, lengths: [5, 2, 4])
            let x = v.matrix(15, d, 1.5), r = v.matrix(15, d, 1)
            // Padded rows carry no loss: nothing downstream reads them.
            for b in 0..<3 { for t in shape.lengths[b]..<5 { r.row(b * 5 + t).update(repeating: 0, count: d) } }
            func loss() -> Float { weightedSum(decoder.forward(x, shape), r) }
            _ = loss()
            let dx = decoder.backward(r)
            check(finiteDifferenceError(x, analytic: dx, step: 1e-2, loss: loss), 2e-2)
        }
    }

    /// The verbaliser head: final RMSNorm, label-word logits, and its compared output.
    func testVerbaliserHead() {
        var v = Values(seed: 12)
        let u = v.matrix(4, 16, 1.5), rLogits = v.matrix(4, 3, 1), rCompared = v.matrix(4, 16, 1)
        let head = VerbaliserHead(finalNorm: v.matrix(1, 16, 0.2, offset: 1), labelRows: v.matrix(3, 16, 1), eps: 1e-5)
        func loss() -> Float {
            let (compared, logits) = head.forward(u, rows: 4)
            return weightedSum(logits, rLogits) + weightedSum(compared, rCompared)
        }
        _ = loss()
        let dU = Matrix(rows: 4, cols: 16)
        head.backward(dLogits: rLogits, dCompared: rCompared, addingInto: dU)
        check(finiteDifferenceError(u, analytic: dU, step: 5e-3, loss: loss), 1e-2)
    }

    func testCrossEntropyAndInfoNCE() {
        var v = Values(seed: 6)
        let logits = v.matrix(4, 3, 2)
        let labels = [0, 2, 1, 1]
        let grad = Matrix(rows: 4, cols: 3)
        _ = Losses.crossEntropy(logits, labels: labels, into: grad)
        check(finiteDifferenceError(logits, analytic: grad) {
            Losses.crossEntropy(logits, labels: labels, into: Matrix(rows: 4, cols: 3)).loss
        }, 5e-3)
        let student = v.matrix(5, 8, 1), teacher = v.matrix(5, 8, 1)
        let dStudent = Matrix(rows: 5, cols: 8)
        _ = Losses.infoNCE(student: student, teacher: teacher, rows: 5, weight: 1, addingInto: dStudent)
        check(finiteDifferenceError(student, analytic: dStudent, step: 2e-3) {
            Losses.infoNCE(student: student, teacher: teacher, rows: 5, weight: 1, addingInto: Matrix(rows: 5, cols: 8))
        }, 2e-2)
    }

    func testAbsCosine() {
        var v = Values(seed: 7)
        // Three queries, N = 2: one full pair and a lone query (no pair) in a short group.
        let lengths = [4, 2, 3], length = 4, x = v.matrix(2 * length, 12, 1)
        let grad = Matrix(rows: 2 * length, cols: 12)
        _ = Losses.absCosine(x, groups: 2, width: 2, length: length, lengths: lengths, weight: 1, addingInto: grad)
        check(finiteDifferenceError(x, analytic: grad, step: 2e-3) {
            Losses.absCosine(x, groups: 2, width: 2, length: length, lengths: lengths, weight: 1,
                             addingInto: Matrix(rows: 2 * length, cols: 12))
        }, 2e-2)
    }
}
