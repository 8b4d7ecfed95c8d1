import Foundation
import RevmuxCompute
import RevmuxModels

/// What one layer's forward keeps for its backward pass (one batch shape).
final class LayerActivations {
    let input: Matrix          // [rows, d]
    let qkv: Matrix            // [rows, 3d]
    let probabilities: Matrix  // [count·heads, length·length], each (sequence, head) real × real
    let context: Matrix        // [rows, d]
    let normalized1: Matrix, inverseStd1: Matrix
    let attended: Matrix       // after the first LayerNorm: the FFN's input
    let preActivation: Matrix  // [rows, intermediate]
    let activation: Matrix
    let normalized2: Matrix, inverseStd2: Matrix

    init(rows: Int, hidden d: Int, intermediate: Int, pairs: Int, length: Int) {
        input = Matrix(rows: rows, cols: d)
        qkv = Matrix(rows: rows, cols: 3 * d)
        probabilities = Matrix(rows: pairs, cols: length * length)
        context = Matrix(rows: rows, cols: d)
        normalized1 = Matrix(rows: rows, cols: d)
        inverseStd1 = Matrix(rows: rows, cols: 1)
        attended = Matrix(rows: rows, cols: d)
        preActivation = Matrix(rows: rows, cols: intermediate)
        activation = Matrix(rows: rows, cols: intermediate)
        normalized2 = Matrix(rows: rows, cols: d)
        inverseStd2 = Matrix(rows: rows, cols: 1)
    }
}

/// Post-norm BERT layers run for training: the forward pass is BertModel.runLayers'
/// (padded keys masked, padded query rows get zero context) and keeps every activation, so
/// `backward` can carry the gradient of the output down to the input. Frozen layers come
/// first; `tuned` layers on top also get their weight gradients.
public final class TrainingEncoder: FrozenStack {
    public let layers: [FrozenBertLayer]
    public let heads: Int
    public let eps: Float
    let compute: Compute
    private let gradients: [BertLayerGradients?]
    private var saved: [LayerActivations] = []
    private var shape = PaddedShape(count: 0, length: 0, lengths: [])

    public init(layers frozen: [FrozenBertLayer], tuned: [TunedBertLayer] = [], heads: Int, eps: Float, compute: Compute) {
        let layers = frozen + tuned.map(\.layer)
        precondition(!layers.isEmpty && layers[0].output.outFeatures % heads == 0)
        self.layers = layers
        gradients = frozen.map { _ in nil } + tuned.map(\.gradients)
        self.heads = heads
        self.eps = eps
        self.compute = compute
    }

    public var hidden: Int { layers[0].output.outFeatures }

    public func forward(_ x: Matrix, _ shape: PaddedShape) -> Matrix {
        let d = hidden, rows = shape.rows
        precondition(x.cols == d && x.rows >= rows)
        if self.shape != shape || saved.count != layers.count {
            saved = layers.map {
                LayerActivations(rows: rows, hidden: d, intermediate: $0.up.outFeatures, pairs: shape.count * heads, length: shape.length)
            }
            self.shape = shape
        }
        var current = x
        let out = Matrix(rows: rows, cols: d)
        for (layer, keep) in zip(layers, saved) {
            keep.input.base.update(from: current.base, count: rows * d)
            compute.linear(keep.input, rows: rows, layer.qkv, into: keep.qkv)
            attention(keep, shape)
            compute.linear(keep.context, rows: rows, layer.output, into: out)
            addVector(out.base, keep.input.base, count: rows * d)
            Pointwise.layerNorm(out, rows: rows, gamma: layer.attnNorm.gamma, beta: layer.attnNorm.beta, eps: eps,
                                normalized: keep.normalized1, inverseStd: keep.inverseStd1, into: keep.attended)
            compute.linear(keep.attended, rows: rows, layer.up, into: keep.preActivation)
            keep.activation.base.update(from: keep.preActivation.base, count: keep.activation.count)
            compute.gelu(keep.activation, rows: rows)
            compute.linear(keep.activation, rows: rows, layer.down, into: out)
            addVector(out.base, keep.attended.base, count: rows * d)
            Pointwise.layerNorm(out, rows: rows, gamma: layer.ffnNorm.gamma, beta: layer.ffnNorm.beta, eps: eps,
                                normalized: keep.normalized2, inverseStd: keep.inverseStd2, into: out)
            current = out
        }
        return out
    }

    public func backward(_ dOut: Matrix) -> Matrix {
        let d = hidden, rows = shape.rows
        var grad = Matrix(rows: rows, cols: d)
        grad.base.update(from: dOut.base, count: rows * d)
        let dSum = Matrix(rows: rows, cols: d), dAttended = Matrix(rows: rows, cols: d)
        for ((layer, keep), g) in zip(zip(layers, saved), gradients).reversed() {
            if let g {
                Pointwise.layerNormParameterBackward(grad, rows: rows, normalized: keep.normalized2, dGamma: g.ffnNorm.gamma,
                                                     dBeta: g.ffnNorm.beta)
            }
            Pointwise.layerNormBackward(grad, rows: rows, gamma: layer.ffnNorm.gamma, normalized: keep.normalized2,
                                        inverseStd: keep.inverseStd2, into: dSum)
            let dActivation = Matrix(rows: rows, cols: layer.up.outFeatures)
            linearBackward(x: keep.activation.base, lda: keep.activation.cols, rows: rows, dy: dSum.base, ldy: d, weight: layer.down.weight,
                           dWeight: g?.down.weight, dBias: g?.down.bias, dx: dActivation.base, ldx: dActivation.cols, compute: compute)
            Pointwise.geluBackward(dActivation.base, input: keep.preActivation.base, count: dActivation.count)
            dAttended.base.update(from: dSum.base, count: rows * d)
            linearBackward(x: keep.attended.base, lda: d, rows: rows, dy: dActivation.base, ldy: dActivation.cols,
                           weight: layer.up.weight, dWeight: g?.up.weight, dBias: g?.up.bias, dx: dAttended.base, ldx: d,
                           accumulate: true, compute: compute)
            if let g {
                Pointwise.layerNormParameterBackward(dAttended, rows: rows, normalized: keep.normalized1, dGamma: g.attnNorm.gamma,
                                                     dBeta: g.attnNorm.beta)
            }
            Pointwise.layerNormBackward(dAttended, rows: rows, gamma: layer.attnNorm.gamma, normalized: keep.normalized1,
                                        inverseStd: keep.inverseStd1, into: dSum)
            let dContext = Matrix(rows: rows, cols: d)
            linearBackward(x: keep.context.base, lda: d, rows: rows, dy: dSum.base, ldy: d, weight: layer.output.weight,
                           dWeight: g?.output.weight, dBias: g?.output.bias, dx: dContext.base, ldx: d, compute: compute)
            let dQKV = attentionBackward(keep, dContext)
            let dInput = Matrix(rows: rows, cols: d)
            dInput.base.update(from: dSum.base, count: rows * d)
            linearBackward(x: keep.input.base, lda: d, rows: rows, dy: dQKV.base, ldy: 3 * d, weight: layer.qkv.weight,
                           dWeight: g?.qkv.weight, dBias: g?.qkv.bias, dx: dInput.base, ldx: d, accumulate: true, compute: compute)
            grad = dInput
        }
        return grad
    }

    /// BertModel's attention, keeping each (sequence, head)'s probabilities.
    private func attention(_ keep: LayerActivations, _ shape: PaddedShape) {
        let h = hidden, dh = h / heads, length = shape.length, ld = 3 * h, heads = heads
        let scale = 1 / Float(dh).squareRoot()
        let qkv = UnsafePointer(keep.qkv.base), context = keep.context, probabilities = keep.probabilities
        let lengths = shape.lengths
        compute.forEachChunk(rows: shape.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads, real = lengths[b]
                let q = qkv + b * length * ld + head * dh
                let p = probabilities.row(pair)
                let out = context.base + b * length * h + head * dh
                for t in real..<length { (out + t * h).update(repeating: 0, count: dh) }
                attentionHead(q: q, k: q + h, v: q + 2 * h, ld: ld, real: real, headSize: dh, scale: scale, causal: false,
                              probabilities: p, out: out, ldOut: h)
            }
        }
    }

    /// d(Q, K, V) from d(context), one attentionHeadBackward per (sequence, head). Padded rows
    /// get zero (they neither read nor are read).
    private func attentionBackward(_ keep: LayerActivations, _ dContext: Matrix) -> Matrix {
        let h = hidden, dh = h / heads, length = shape.length, ld = 3 * h, heads = heads
        let scale = 1 / Float(dh).squareRoot()
        let dQKV = Matrix(rows: shape.rows, cols: ld)
        let qkv = UnsafePointer(keep.qkv.base), probabilities = keep.probabilities, lengths = shape.lengths
        let dC = UnsafePointer(dContext.base), out = dQKV.base
        compute.forEachChunk(rows: shape.count * heads) { range in
            let dP = UnsafeMutablePointer<Float>.allocate(capacity: max(1, length * length))
            defer { dP.deallocate() }
            for pair in range {
                let b = pair / heads, head = pair % heads, real = lengths[b]
                let offset = b * length * ld + head * dh, q = qkv + offset
                attentionHeadBackward(q: q, ldq: ld, k: q + h, v: q + 2 * h, ldkv: ld, queries: real, keys: real, headSize: dh,
                                      scale: scale, probabilities: probabilities.row(pair), dOut: dC + b * length * h + head * dh,
                                      ldOut: h, dQ: out + offset, ldDQ: ld, dK: out + offset + h, dV: out + offset + 2 * h,
                                      ldDKV: ld, scratch: dP)
            }
        }
        return dQKV
    }
}
