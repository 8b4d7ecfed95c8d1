import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels

/// A T5 decoder block's cross-attention activations, kept for its backward pass.
final class CrossActivations {
    let input: Matrix           // [rows, d]: after the self-attention residual
    let inverseRms: Matrix      // [rows, 1]
    let q: Matrix               // [rows, inner]
    let kv: Matrix              // [encoder rows, 2·inner]: K, V of the encoder output
    let probabilities: Matrix   // [count·heads, decoder length · encoder length], each real keys only

    init(rows: Int, hidden d: Int, inner: Int, encoderRows: Int, pairs: Int, cells: Int) {
        input = Matrix(rows: rows, cols: d)
        inverseRms = Matrix(rows: rows, cols: 1)
        q = Matrix(rows: rows, cols: inner)
        kv = Matrix(rows: encoderRows, cols: 2 * inner)
        probabilities = Matrix(rows: pairs, cols: cells)
    }
}

/// What one T5 block's forward keeps for its backward pass (one batch shape). Only what the
/// input gradient needs: no weight is trained.
final class T5BlockActivations {
    let input: Matrix           // [rows, d]: the self-attention residual
    let inverseRms1: Matrix
    let qkv: Matrix             // [rows, 3·inner]
    let probabilities: Matrix   // [count·heads, length·length], each (sequence, head) real × real
    let cross: CrossActivations?
    let middle: Matrix          // [rows, d]: the FFN's input and residual
    let inverseRms2: Matrix
    let ff: Matrix              // [rows, ff] or gated [rows, 2·ff] (gate first): before the activation

    init(rows: Int, hidden d: Int, inner: Int, ff: Int, pairs: Int, length: Int, cross: CrossActivations?) {
        input = Matrix(rows: rows, cols: d)
        inverseRms1 = Matrix(rows: rows, cols: 1)
        qkv = Matrix(rows: rows, cols: 3 * inner)
        probabilities = Matrix(rows: pairs, cols: length * length)
        self.cross = cross
        middle = Matrix(rows: rows, cols: d)
        inverseRms2 = Matrix(rows: rows, cols: 1)
        self.ff = Matrix(rows: rows, cols: ff)
    }
}

/// The T5 mixed pass run for training: encoder layers [cf, L) on the mixed sequences, the
/// encoder's final norm, then the whole decoder on its fixed input (decoder_start_token_id)
/// cross-attending to them. The forward pass is T5Model's (relative position bias in every
/// layer, no 1/√d scaling, padded encoder keys masked, causal decoder self-attention);
/// `backward` carries the gradient of the decoder's last-layer states (before its final
/// norm, which the head applies) down to the mixed sequences, through the cross-attention's
/// K and V of every decoder layer and then the encoder.
public final class TrainingT5: FrozenStack {
    public let encoderLayers: [FrozenT5Layer]
    public let decoderLayers: [FrozenT5Layer]
    public let encoderNorm: Matrix
    /// [decoder length, d]: the embeddings of the decoder's input ids, the same for every group.
    public let decoderInput: Matrix
    /// [buckets, heads]: the learned relative position biases.
    public let encoderBias: Matrix, decoderBias: Matrix
    public let heads: Int, headSize: Int
    public let maxDistance: Int
    public let activation: T5Activation
    public let gated: Bool
    public let eps: Float
    let compute: Compute
    private var encoderSaved: [T5BlockActivations] = []
    private var decoderSaved: [T5BlockActivations] = []
    private var encoderPreNorm = Matrix(rows: 0, cols: 0), encoderInverseRms = Matrix(rows: 0, cols: 0)
    private var encoderOutput = Matrix(rows: 0, cols: 0)
    private var encoderTable = Matrix(rows: 0, cols: 0), decoderTable = Matrix(rows: 0, cols: 0)
    private var shape = PaddedShape(count: 0, length: 0, lengths: [])

    public init(encoderLayers: [FrozenT5Layer], decoderLayers: [FrozenT5Layer], encoderNorm: Matrix, decoderInput: Matrix,
                encoderBias: Matrix, decoderBias: Matrix, heads: Int, maxDistance: Int, activation: T5Activation, gated: Bool,
                eps: Float, compute: Compute) {
        precondition(!encoderLayers.isEmpty && !decoderLayers.isEmpty && decoderInput.rows >= 1)
        precondition(encoderLayers[0].qkv.outFeatures % (3 * heads) == 0 && encoderBias.cols == heads && decoderBias.cols == heads)
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers
        self.encoderNorm = encoderNorm
        self.decoderInput = decoderInput
        self.encoderBias = encoderBias
        self.decoderBias = decoderBias
        self.heads = heads
        headSize = encoderLayers[0].qkv.outFeatures / (3 * heads)
        self.maxDistance = maxDistance
        self.activation = activation
        self.gated = gated
        self.eps = eps
        self.compute = compute
        decoderTable = Matrix(rows: heads, cols: 2 * decoderInput.rows - 1)
        T5PositionBias.expand(decoderBias, into: decoderTable, length: decoderInput.rows, bidirectional: false,
                              maxDistance: maxDistance)
    }

    /// Encoder layers `range` and the whole decoder of a T5 bundle, each dequantised once; the
    /// decoder reads decoder_start_token_id alone, as T5Classifier does.
    public convenience init(bundle: BundleFile, encoderLayers range: Range<Int>, config: T5Config, compute: Compute) throws(TrainError) {
        let d = config.hiddenSize, bias = [config.relativeBuckets, config.heads]
        func load(_ name: String, _ shape: [Int]) throws(TrainError) -> Matrix {
            do {
                return try bundle.matrix(name, shape)
            } catch {
                throw .model(error)
            }
        }
        var encoder: [FrozenT5Layer] = [], decoder: [FrozenT5Layer] = []
        for n in range { encoder.append(try FrozenT5Layer(bundle: bundle, decoder: false, index: n, config: config)) }
        for n in 0..<config.decoderLayers { decoder.append(try FrozenT5Layer(bundle: bundle, decoder: true, index: n, config: config)) }
        let start = Matrix(rows: 1, cols: d)
        do {
            try bundle.weight("embed.tokens", [config.vocabularySize, d]).copyRow(Int(config.decoderStartTokenId), to: start.base)
        } catch {
            throw .model(error)
        }
        self.init(encoderLayers: encoder, decoderLayers: decoder, encoderNorm: try load("encoder.final.norm.weight", [d]),
                  decoderInput: start, encoderBias: try load("encoder.position_bias", bias),
                  decoderBias: try load("decoder.position_bias", bias), heads: config.heads,
                  maxDistance: config.relativeMaxDistance, activation: config.activation, gated: config.gated,
                  eps: config.layerNormEps, compute: compute)
    }

    public var hidden: Int { encoderNorm.count }
    var inner: Int { heads * headSize }
    var decoderLength: Int { decoderInput.rows }
    /// The FFN's hidden width (one half of a gated `up`).
    var ffWidth: Int { encoderLayers[0].down.inFeatures }

    /// The decoder's positions: its output has `decoderLength` rows per group.
    public func outputLength(_ shape: PaddedShape) -> Int { decoderLength }

    public func forward(_ x: Matrix, _ shape: PaddedShape) -> Matrix {
        let d = hidden, rows = shape.rows, groups = shape.count, dl = decoderLength
        precondition(x.cols == d && x.rows >= rows)
        if self.shape != shape || encoderSaved.count != encoderLayers.count {
            allocate(shape)
            self.shape = shape
        }
        let decoderShape = PaddedShape(count: groups, length: dl, lengths: Array(repeating: dl, count: groups))
        var current = x
        let encoded = Matrix(rows: rows, cols: d)
        for (layer, keep) in zip(encoderLayers, encoderSaved) {
            block(layer, keep, current, shape, causal: false, table: encoderTable, into: encoded)
            current = encoded
        }
        encoderPreNorm.base.update(from: encoded.base, count: rows * d)
        Pointwise.rmsNorm(encoderPreNorm, rows: rows, gamma: encoderNorm, eps: eps, inverseRms: encoderInverseRms,
                          into: encoderOutput)
        let decoded = Matrix(rows: decoderShape.rows, cols: d)
        for g in 0..<groups { decoded.row(g * dl).update(from: decoderInput.base, count: dl * d) }
        for (layer, keep) in zip(decoderLayers, decoderSaved) {
            block(layer, keep, decoded, decoderShape, causal: true, table: decoderTable, into: decoded)
        }
        return decoded
    }

    public func backward(_ dOut: Matrix) -> Matrix {
        let d = hidden, groups = shape.count, dl = decoderLength
        let decoderShape = PaddedShape(count: groups, length: dl, lengths: Array(repeating: dl, count: groups))
        let grad = Matrix(rows: decoderShape.rows, cols: d)
        grad.base.update(from: dOut.base, count: grad.count)
        let dEncoderOutput = Matrix(rows: shape.rows, cols: d)
        for (layer, keep) in zip(decoderLayers, decoderSaved).reversed() {
            blockBackward(layer, keep, grad, decoderShape, causal: true, addingEncoderGradient: dEncoderOutput)
        }
        // The decoder's input is a constant embedding: its gradient stops there.
        let dEncoded = Matrix(rows: shape.rows, cols: d)
        Pointwise.rmsNormBackward(dEncoderOutput, rows: shape.rows, gamma: encoderNorm, input: encoderPreNorm,
                                  inverseRms: encoderInverseRms, addingInto: dEncoded)
        for (layer, keep) in zip(encoderLayers, encoderSaved).reversed() {
            blockBackward(layer, keep, dEncoded, shape, causal: false, addingEncoderGradient: nil)
        }
        return dEncoded
    }

    private func allocate(_ shape: PaddedShape) {
        let d = hidden, rows = shape.rows, groups = shape.count, dl = decoderLength, ff = encoderLayers[0].up.outFeatures
        encoderSaved = encoderLayers.map { _ in
            T5BlockActivations(rows: rows, hidden: d, inner: inner, ff: ff, pairs: groups * heads, length: shape.length, cross: nil)
        }
        decoderSaved = decoderLayers.map { _ in
            T5BlockActivations(rows: groups * dl, hidden: d, inner: inner, ff: ff, pairs: groups * heads, length: dl,
                               cross: CrossActivations(rows: groups * dl, hidden: d, inner: inner, encoderRows: rows,
                                                       pairs: groups * heads, cells: dl * shape.length))
        }
        encoderPreNorm = Matrix(rows: rows, cols: d)
        encoderInverseRms = Matrix(rows: rows, cols: 1)
        encoderOutput = Matrix(rows: rows, cols: d)
        if encoderTable.cols != 2 * shape.length - 1 {
            encoderTable = Matrix(rows: heads, cols: max(1, 2 * shape.length - 1))
            T5PositionBias.expand(encoderBias, into: encoderTable, length: shape.length, bidirectional: true,
                                  maxDistance: maxDistance)
        }
    }

    /// One pre-norm block: self-attention, cross-attention to the encoder output (decoder
    /// blocks), FFN, each added to the stream. `x` and `out` may be the same matrix.
    private func block(_ layer: FrozenT5Layer, _ keep: T5BlockActivations, _ x: Matrix, _ shape: PaddedShape, causal: Bool,
                       table: Matrix, into out: Matrix) {
        let d = hidden, rows = shape.rows
        let normed = Matrix(rows: rows, cols: d), context = Matrix(rows: rows, cols: inner)
        keep.input.base.update(from: x.base, count: rows * d)
        Pointwise.rmsNorm(keep.input, rows: rows, gamma: layer.attnNorm, eps: eps, inverseRms: keep.inverseRms1, into: normed)
        compute.linear(normed, rows: rows, layer.qkv, into: keep.qkv)
        selfAttention(keep, shape, causal: causal, table: table, into: context)
        compute.linear(context, rows: rows, layer.output, into: out)
        addVector(out.base, keep.input.base, count: rows * d)
        if let cross = layer.cross, let saved = keep.cross {
            saved.input.base.update(from: out.base, count: rows * d)
            Pointwise.rmsNorm(saved.input, rows: rows, gamma: cross.norm, eps: eps, inverseRms: saved.inverseRms, into: normed)
            compute.linear(normed, rows: rows, cross.q, into: saved.q)
            compute.linear(encoderOutput, rows: self.shape.rows, cross.kv, into: saved.kv)
            crossAttention(saved, shape, into: context)
            compute.linear(context, rows: rows, cross.output, into: out)
            addVector(out.base, saved.input.base, count: rows * d)
        }
        keep.middle.base.update(from: out.base, count: rows * d)
        Pointwise.rmsNorm(keep.middle, rows: rows, gamma: layer.ffnNorm, eps: eps, inverseRms: keep.inverseRms2, into: normed)
        compute.linear(normed, rows: rows, layer.up, into: keep.ff)
        let activated = activations(keep.ff, rows: rows)
        compute.linear(activated, rows: rows, layer.down, into: out)
        addVector(out.base, keep.middle.base, count: rows * d)
    }

    /// act(up) or act(gate)·up of every row of `ff` (before the activation).
    private func activations(_ ff: Matrix, rows: Int) -> Matrix {
        let width = ffWidth, gated = gated, activation = activation
        let out = Matrix(rows: rows, cols: width)
        for r in 0..<rows {
            let row = out.row(r)
            row.update(from: ff.row(r), count: width)
            activation.apply(row, count: width)
            if gated { multiplyVector(row, ff.row(r) + width, count: width) }
        }
        return out
    }

    /// `grad` holds d(block output) and becomes d(block input). A decoder block adds the
    /// gradient of the encoder output its cross-attention read (through K and V) to
    /// `dEncoder`.
    private func blockBackward(_ layer: FrozenT5Layer, _ keep: T5BlockActivations, _ grad: Matrix, _ shape: PaddedShape,
                               causal: Bool, addingEncoderGradient dEncoder: Matrix?) {
        let d = hidden, rows = shape.rows, width = ffWidth, ld = keep.ff.cols
        let dNormed = Matrix(rows: rows, cols: d), dContext = Matrix(rows: rows, cols: inner)
        // FFN: grad passes the residual unchanged to d(middle).
        let dFF = Matrix(rows: rows, cols: ld)
        inputGradient(dy: grad.base, ldy: d, rows: rows, weight: layer.down.weight, dx: dFF.base, ldx: ld, compute: compute)
        activationBackward(dFF, keep.ff, rows: rows, width: width)
        inputGradient(dy: dFF.base, ldy: ld, rows: rows, weight: layer.up.weight, dx: dNormed.base, ldx: d, compute: compute)
        Pointwise.rmsNormBackward(dNormed, rows: rows, gamma: layer.ffnNorm, input: keep.middle, inverseRms: keep.inverseRms2,
                                  addingInto: grad)
        if let cross = layer.cross, let saved = keep.cross, let dEncoder {
            inputGradient(dy: grad.base, ldy: d, rows: rows, weight: cross.output.weight, dx: dContext.base, ldx: inner,
                          compute: compute)
            let (dQ, dKV) = crossAttentionBackward(saved, dContext, shape)
            inputGradient(dy: dQ.base, ldy: inner, rows: rows, weight: cross.q.weight, dx: dNormed.base, ldx: d, compute: compute)
            Pointwise.rmsNormBackward(dNormed, rows: rows, gamma: cross.norm, input: saved.input, inverseRms: saved.inverseRms,
                                      addingInto: grad)
            inputGradient(dy: dKV.base, ldy: 2 * inner, rows: self.shape.rows, weight: cross.kv.weight, dx: dEncoder.base, ldx: d,
                          accumulate: true, compute: compute)
        }
        inputGradient(dy: grad.base, ldy: d, rows: rows, weight: layer.output.weight, dx: dContext.base, ldx: inner, compute: compute)
        let dQKV = selfAttentionBackward(keep, dContext, shape)
        inputGradient(dy: dQKV.base, ldy: 3 * inner, rows: rows, weight: layer.qkv.weight, dx: dNormed.base, ldx: d,
                      compute: compute)
        Pointwise.rmsNormBackward(dNormed, rows: rows, gamma: layer.attnNorm, input: keep.input, inverseRms: keep.inverseRms1,
                                  addingInto: grad)
    }

    /// In place: d(activated) in `dFF`'s first `width` columns becomes d(ff before the
    /// activation), gate and up halves for a gated FFN.
    private func activationBackward(_ dFF: Matrix, _ ff: Matrix, rows: Int, width: Int) {
        let activation = activation, gated = gated
        let gate = Matrix(rows: 1, cols: width)
        for r in 0..<rows {
            let dRow = dFF.row(r), pre = UnsafePointer(ff.row(r))
            if gated {
                // a = act(g)·u: du = da·act(g), dg = da·u·act'(g).
                gate.base.update(from: pre, count: width)
                activation.apply(gate.base, count: width)
                for i in 0..<width {
                    dRow[width + i] = dRow[i] * gate.base[i]
                    dRow[i] *= pre[width + i]
                }
            }
            switch activation {
            case .relu: for i in 0..<width where pre[i] <= 0 { dRow[i] = 0 }
            case .gelu: Pointwise.geluBackward(dRow, input: pre, count: width)
            case .geluTanh: Pointwise.geluTanhBackward(dRow, input: pre, count: width)
            }
        }
    }

    /// T5Model's self-attention (bidirectional over the real tokens, or causal), with the
    /// relative position bias and no 1/√d scaling, keeping each (sequence, head)'s
    /// probabilities. Padded rows get zero context.
    private func selfAttention(_ keep: T5BlockActivations, _ shape: PaddedShape, causal: Bool, table: Matrix, into context: Matrix) {
        let heads = heads, dk = headSize, inner = inner, length = shape.length, ld = 3 * inner, lengths = shape.lengths
        let qkv = UnsafePointer(keep.qkv.base), probabilities = keep.probabilities
        let bias = UnsafePointer(table.base), biasWidth = table.cols
        compute.forEachChunk(rows: shape.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads, real = lengths[b]
                let q = qkv + b * length * ld + head * dk
                let out = context.base + b * length * inner + head * dk
                for t in real..<length { (out + t * inner).update(repeating: 0, count: dk) }
                attentionHead(q: q, k: q + inner, v: q + 2 * inner, ld: ld, real: real, headSize: dk, scale: 1, causal: causal,
                              bias: bias + head * biasWidth + (length - 1), probabilities: probabilities.row(pair), out: out,
                              ldOut: inner)
            }
        }
    }

    private func selfAttentionBackward(_ keep: T5BlockActivations, _ dContext: Matrix, _ shape: PaddedShape) -> Matrix {
        let heads = heads, dk = headSize, inner = inner, length = shape.length, ld = 3 * inner, lengths = shape.lengths
        let dQKV = Matrix(rows: shape.rows, cols: ld)
        let qkv = UnsafePointer(keep.qkv.base), probabilities = keep.probabilities
        let dC = UnsafePointer(dContext.base), out = dQKV.base
        compute.forEachChunk(rows: shape.count * heads) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, length * length))
            defer { scratch.deallocate() }
            for pair in range {
                let b = pair / heads, head = pair % heads, real = lengths[b]
                let offset = b * length * ld + head * dk, q = qkv + offset, dq = out + offset
                attentionHeadBackward(q: q, ldq: ld, k: q + inner, v: q + 2 * inner, ldkv: ld, queries: real, keys: real,
                                      headSize: dk, scale: 1, probabilities: probabilities.row(pair),
                                      dOut: dC + b * length * inner + head * dk, ldOut: inner, dQ: dq, ldDQ: ld,
                                      dK: dq + inner, dV: dq + 2 * inner, ldDKV: ld, scratch: scratch)
            }
        }
        return dQKV
    }

    /// Every decoder position over the real tokens of its group's encoder sequence; no bias.
    private func crossAttention(_ keep: CrossActivations, _ shape: PaddedShape, into context: Matrix) {
        let heads = heads, dk = headSize, inner = inner, length = shape.length
        let encoderLength = self.shape.length, lengths = self.shape.lengths
        let crossQ = UnsafePointer(keep.q.base), kv = UnsafePointer(keep.kv.base), probabilities = keep.probabilities
        compute.forEachChunk(rows: shape.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads, real = lengths[b]
                let out = context.base + b * length * inner + head * dk
                guard real > 0 else {
                    for t in 0..<length { (out + t * inner).update(repeating: 0, count: dk) }
                    continue
                }
                let q = crossQ + b * length * inner + head * dk, k = kv + b * encoderLength * 2 * inner + head * dk
                let p = probabilities.row(pair)
                sgemmABt(m: length, n: real, k: dk, alpha: 1, q, lda: inner, k, ldb: 2 * inner, beta: 0, p, ldc: real)
                for t in 0..<length { softmaxInPlace(p + t * real, count: real) }
                sgemmAB(m: length, n: dk, k: real, alpha: 1, p, lda: real, k + inner, ldb: 2 * inner, beta: 0, out, ldc: inner)
            }
        }
    }

    /// d(Q) [decoder rows, inner] and d(K, V) [encoder rows, 2·inner] from d(context).
    private func crossAttentionBackward(_ keep: CrossActivations, _ dContext: Matrix, _ shape: PaddedShape) -> (Matrix, Matrix) {
        let heads = heads, dk = headSize, inner = inner, length = shape.length
        let encoderLength = self.shape.length, lengths = self.shape.lengths
        let dQ = Matrix(rows: shape.rows, cols: inner), dKV = Matrix(rows: self.shape.rows, cols: 2 * inner)
        let crossQ = UnsafePointer(keep.q.base), kv = UnsafePointer(keep.kv.base), probabilities = keep.probabilities
        let dC = UnsafePointer(dContext.base), dq = dQ.base, dkv = dKV.base
        compute.forEachChunk(rows: shape.count * heads) { range in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: max(1, length * encoderLength))
            defer { scratch.deallocate() }
            for pair in range {
                let b = pair / heads, head = pair % heads
                let q = b * length * inner + head * dk, k = b * encoderLength * 2 * inner + head * dk
                attentionHeadBackward(q: crossQ + q, ldq: inner, k: kv + k, v: kv + k + inner, ldkv: 2 * inner, queries: length,
                                      keys: lengths[b], headSize: dk, scale: 1, probabilities: probabilities.row(pair),
                                      dOut: dC + q, ldOut: inner, dQ: dq + q, ldDQ: inner, dK: dkv + k, dV: dkv + k + inner,
                                      ldDKV: 2 * inner, scratch: scratch)
            }
        }
        return (dQ, dKV)
    }
}
