import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels

/// One pre-norm LLaMA layer's weights, decoded to f32 once (block-quantised weights too):
/// frozen, gradients flow through it, never into it.
public struct FrozenLlamaLayer {
    public let qkv: Linear          // Q, K, V stacked: [d + 2·kv, d], no bias
    public let output: Linear
    public let attnNorm: Matrix
    public let gate: Linear, up: Linear, down: Linear
    public let ffnNorm: Matrix

    public init(qkv: Linear, output: Linear, attnNorm: Matrix, gate: Linear, up: Linear, down: Linear, ffnNorm: Matrix) {
        self.qkv = qkv
        self.output = output
        self.attnNorm = attnNorm
        self.gate = gate
        self.up = up
        self.down = down
        self.ffnNorm = ffnNorm
    }

    /// Layer `index` of a LLaMA bundle, by the canonical names LlamaModel reads.
    public init(bundle: BundleFile, index: Int, config: LlamaConfig) throws(TrainError) {
        let h = config.hiddenSize, kv = config.kvSize, inter = config.intermediateSize, p = "layers.\(index)."
        func load(_ name: String, _ shape: [Int]) throws(TrainError) -> Matrix { try bundle.frozenMatrix(name, shape) }
        func linear(_ name: String, out: Int, in inFeatures: Int) throws(TrainError) -> Linear {
            try bundle.frozenLinear(p + name, out: out, in: inFeatures, bias: false)
        }
        self.init(qkv: Linear.stacking([try linear("attn.q", out: h, in: h), try linear("attn.k", out: kv, in: h),
                                        try linear("attn.v", out: kv, in: h)]),
                  output: try linear("attn.o", out: h, in: h), attnNorm: try load(p + "attn.norm.weight", [h]),
                  gate: try linear("ffn.gate", out: inter, in: h), up: try linear("ffn.up", out: inter, in: h),
                  down: try linear("ffn.down", out: h, in: inter), ffnNorm: try load(p + "ffn.norm.weight", [h]))
    }
}

/// What one decoder layer's forward keeps for its backward pass (one batch shape). Only
/// what the input gradient needs: no weight is trained, so no layer input is kept for dW.
final class DecoderActivations {
    let input: Matrix           // [rows, d]: the layer's input, the attention residual
    let inverseRms1: Matrix     // [rows, 1]
    let qkv: Matrix             // [rows, d + 2·kv]: Q and K after the rotary embeddings
    let probabilities: Matrix   // [count·heads, length·length], each (sequence, head) real × real
    let middle: Matrix          // [rows, d]: after the attention residual, the FFN residual
    let inverseRms2: Matrix
    let gate: Matrix, up: Matrix   // [rows, intermediate]

    init(rows: Int, hidden d: Int, qkv width: Int, intermediate: Int, pairs: Int, length: Int) {
        input = Matrix(rows: rows, cols: d)
        inverseRms1 = Matrix(rows: rows, cols: 1)
        qkv = Matrix(rows: rows, cols: width)
        probabilities = Matrix(rows: pairs, cols: length * length)
        middle = Matrix(rows: rows, cols: d)
        inverseRms2 = Matrix(rows: rows, cols: 1)
        gate = Matrix(rows: rows, cols: intermediate)
        up = Matrix(rows: rows, cols: intermediate)
    }
}

/// Frozen pre-norm LLaMA layers run for training: the forward pass is LlamaModel.runLayers'
/// (RMSNorm, rotary embeddings in the bundle's layout, causal attention over each sequence's
/// real tokens with K/V heads shared by groups of query heads, SwiGLU, residuals), keeping
/// what `backward` needs to carry the output's gradient down to the input.
public final class TrainingDecoder: FrozenStack {
    public let layers: [FrozenLlamaLayer]
    public let heads: Int, kvHeads: Int
    public let eps: Float
    public let ropeTheta: Float
    public let ropeLayout: RopeLayout
    let compute: Compute
    private var rotary: RotaryTable
    private var saved: [DecoderActivations] = []
    private var shape = PaddedShape(count: 0, length: 0, lengths: [])

    public init(layers: [FrozenLlamaLayer], heads: Int, kvHeads: Int, eps: Float, ropeTheta: Float, ropeLayout: RopeLayout,
                compute: Compute) {
        let d = layers.first?.output.outFeatures ?? 0
        precondition(!layers.isEmpty && d % heads == 0 && heads % kvHeads == 0 && (d / heads) % 2 == 0)
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads
        self.eps = eps
        self.ropeTheta = ropeTheta
        self.ropeLayout = ropeLayout
        self.compute = compute
        rotary = RotaryTable(length: 0, headSize: d / heads, theta: ropeTheta)
    }

    /// Layers `range` of a LLaMA bundle, each dequantised once.
    public convenience init(bundle: BundleFile, layers range: Range<Int>, config: LlamaConfig, compute: Compute) throws(TrainError) {
        var layers: [FrozenLlamaLayer] = []
        for n in range { layers.append(try FrozenLlamaLayer(bundle: bundle, index: n, config: config)) }
        self.init(layers: layers, heads: config.heads, kvHeads: config.kvHeads, eps: config.rmsNormEps,
                  ropeTheta: config.ropeTheta, ropeLayout: config.ropeLayout, compute: compute)
    }

    public var hidden: Int { layers[0].output.outFeatures }
    var headSize: Int { hidden / heads }
    var kvSize: Int { kvHeads * headSize }

    public func forward(_ x: Matrix, _ shape: PaddedShape) -> Matrix {
        let d = hidden, rows = shape.rows, inter = layers[0].up.outFeatures
        precondition(x.cols == d && x.rows >= rows)
        if self.shape != shape || saved.count != layers.count {
            saved = layers.map { _ in
                DecoderActivations(rows: rows, hidden: d, qkv: d + 2 * kvSize, intermediate: inter,
                                   pairs: shape.count * heads, length: shape.length)
            }
            self.shape = shape
        }
        if rotary.length < shape.length { rotary = RotaryTable(length: shape.length, headSize: headSize, theta: ropeTheta) }
        let normed = Matrix(rows: rows, cols: d), context = Matrix(rows: rows, cols: d)
        let activation = Matrix(rows: rows, cols: inter), out = Matrix(rows: rows, cols: d)
        var current = x
        for (layer, keep) in zip(layers, saved) {
            keep.input.base.update(from: current.base, count: rows * d)
            Pointwise.rmsNorm(keep.input, rows: rows, gamma: layer.attnNorm, eps: eps, inverseRms: keep.inverseRms1, into: normed)
            compute.linear(normed, rows: rows, layer.qkv, into: keep.qkv)
            rotate(keep.qkv, transposed: false)
            attention(keep, into: context)
            compute.linear(context, rows: rows, layer.output, into: keep.middle)
            addVector(keep.middle.base, keep.input.base, count: rows * d)
            Pointwise.rmsNorm(keep.middle, rows: rows, gamma: layer.ffnNorm, eps: eps, inverseRms: keep.inverseRms2, into: normed)
            compute.linear(normed, rows: rows, layer.gate, into: keep.gate)
            compute.linear(normed, rows: rows, layer.up, into: keep.up)
            activation.base.update(from: keep.up.base, count: rows * inter)
            swigluInPlace(activation.base, gate: keep.gate.base, count: rows * inter)
            compute.linear(activation, rows: rows, layer.down, into: out)
            addVector(out.base, keep.middle.base, count: rows * d)
            current = out
        }
        return out
    }

    public func backward(_ dOut: Matrix) -> Matrix {
        let d = hidden, rows = shape.rows, inter = layers[0].up.outFeatures, width = d + 2 * kvSize
        let grad = Matrix(rows: rows, cols: d)
        grad.base.update(from: dOut.base, count: rows * d)
        let dUp = Matrix(rows: rows, cols: inter), dGate = Matrix(rows: rows, cols: inter)
        let dNormed = Matrix(rows: rows, cols: d), dContext = Matrix(rows: rows, cols: d)
        for (layer, keep) in zip(layers, saved).reversed() {
            // grad is d(output); the FFN residual passes it to d(middle) unchanged.
            inputGradient(dy: grad.base, ldy: d, rows: rows, weight: layer.down.weight, dx: dUp.base, ldx: inter, compute: compute)
            Pointwise.swigluBackward(dUp.base, dGate: dGate.base, gate: keep.gate.base, up: keep.up.base, count: rows * inter)
            inputGradient(dy: dGate.base, ldy: inter, rows: rows, weight: layer.gate.weight, dx: dNormed.base, ldx: d, compute: compute)
            inputGradient(dy: dUp.base, ldy: inter, rows: rows, weight: layer.up.weight, dx: dNormed.base, ldx: d,
                          accumulate: true, compute: compute)
            Pointwise.rmsNormBackward(dNormed, rows: rows, gamma: layer.ffnNorm, input: keep.middle, inverseRms: keep.inverseRms2,
                                      addingInto: grad)
            // grad is d(middle) now; the attention residual passes it to d(input).
            inputGradient(dy: grad.base, ldy: d, rows: rows, weight: layer.output.weight, dx: dContext.base, ldx: d, compute: compute)
            let dQKV = attentionBackward(keep, dContext, width: width)
            rotate(dQKV, transposed: true)
            inputGradient(dy: dQKV.base, ldy: width, rows: rows, weight: layer.qkv.weight, dx: dNormed.base, ldx: d, compute: compute)
            Pointwise.rmsNormBackward(dNormed, rows: rows, gamma: layer.attnNorm, input: keep.input, inverseRms: keep.inverseRms1,
                                      addingInto: grad)
        }
        return grad
    }

    /// The rotary embeddings (or their transpose, for gradients) on every real row's Q and K
    /// heads, which sit side by side at the start of each row.
    private func rotate(_ qkv: Matrix, transposed: Bool) {
        let d = headSize, rotated = heads + kvHeads, layout = ropeLayout, rotary = rotary
        let length = shape.length, lengths = shape.lengths
        compute.forEachChunk(rows: shape.rows, minRows: 16) { range in
            for r in range where r % length < lengths[r / length] {
                let row = qkv.row(r)
                for head in 0..<rotated {
                    if transposed {
                        rotary.applyTransposed(row + head * d, position: r % length, layout: layout)
                    } else {
                        rotary.apply(row + head * d, position: r % length, layout: layout)
                    }
                }
            }
        }
    }

    /// LlamaModel's causal attention, keeping each (sequence, head)'s probabilities (zero
    /// above the diagonal). Padded rows get zero context.
    private func attention(_ keep: DecoderActivations, into context: Matrix) {
        let h = hidden, kv = kvSize, heads = heads, d = headSize, group = heads / kvHeads
        let length = shape.length, ld = keep.qkv.cols, lengths = shape.lengths
        let scale = 1 / Float(d).squareRoot()
        let qkv = UnsafePointer(keep.qkv.base), probabilities = keep.probabilities
        compute.forEachChunk(rows: shape.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads, shared = head / group, real = lengths[b]
                let rows = qkv + b * length * ld
                let q = rows + head * d, k = rows + h + shared * d, v = rows + h + kv + shared * d
                let p = probabilities.row(pair)
                let out = context.base + b * length * h + head * d
                for t in real..<length { (out + t * h).update(repeating: 0, count: d) }
                attentionHead(q: q, k: k, v: v, ld: ld, real: real, headSize: d, scale: scale, causal: true, probabilities: p,
                                    out: out, ldOut: h)
            }
        }
    }

    /// d(Q, K, V) (Q and K still rotated) from d(context), one attentionHeadBackward per query
    /// head. Work is split by K/V head, so the query heads sharing one accumulate into it
    /// without a race.
    private func attentionBackward(_ keep: DecoderActivations, _ dContext: Matrix, width ld: Int) -> Matrix {
        let h = hidden, kv = kvSize, heads = heads, kvHeads = kvHeads, d = headSize, group = heads / kvHeads
        let length = shape.length, lengths = shape.lengths
        let scale = 1 / Float(d).squareRoot()
        let dQKV = Matrix(rows: shape.rows, cols: ld)
        let qkv = UnsafePointer(keep.qkv.base), probabilities = keep.probabilities
        let dC = UnsafePointer(dContext.base), out = dQKV.base
        compute.forEachChunk(rows: shape.count * kvHeads) { range in
            let dP = UnsafeMutablePointer<Float>.allocate(capacity: max(1, length * length))
            defer { dP.deallocate() }
            for pair in range {
                let b = pair / kvHeads, shared = pair % kvHeads, real = lengths[b]
                let rows = qkv + b * length * ld, dRows = out + b * length * ld
                let k = rows + h + shared * d, v = rows + h + kv + shared * d
                let dK = dRows + h + shared * d, dV = dRows + h + kv + shared * d
                for head in (shared * group)..<((shared + 1) * group) {
                    attentionHeadBackward(q: rows + head * d, ldq: ld, k: k, v: v, ldkv: ld, queries: real, keys: real, headSize: d,
                                          scale: scale, probabilities: probabilities.row(b * heads + head),
                                          dOut: dC + b * length * h + head * d, ldOut: h, dQ: dRows + head * d, ldDQ: ld,
                                          dK: dK, dV: dV, ldDKV: ld, scratch: dP)
                }
            }
        }
        return dQKV
    }
}
