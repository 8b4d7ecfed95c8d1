import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxTensors

/// One pre-norm T5 feed-forward: up (gate and up stacked, gate first, when gated), down.
struct T5FeedForward: Sendable {
    let norm: Matrix
    let up: StackedLinear
    let down: WeightLinear
}

/// One pre-norm T5 attention sublayer: Q, K, V stacked for self-attention; for cross-attention
/// Q alone and K, V stacked (they read the encoder output, not the decoder's stream).
struct T5Attention: Sendable {
    let norm: Matrix
    let q: WeightLinear?
    let kv: StackedLinear?
    let qkv: StackedLinear?
    let output: WeightLinear

    var weights: [WeightMatrix] {
        [q?.weight].compactMap { $0 } + (kv?.parts ?? []).map(\.weight) + (qkv?.parts ?? []).map(\.weight) + [output.weight]
    }
}

struct T5Layer: Sendable {
    let attention: T5Attention
    let cross: T5Attention?
    let feedForward: T5FeedForward

    var weights: [WeightMatrix] {
        attention.weights + (cross?.weights ?? []) + feedForward.up.parts.map(\.weight) + [feedForward.down.weight]
    }
}

/// A T5 encoder-decoder (T5ForConditionalGeneration: original T5, v1.1, Flan-T5) on the CPU in
/// f32 arithmetic. f32, f16 and bf16 weights are decoded at load; GGML block weights (Q8_0,
/// Q4_1, ...) of the layers, the embedding and the head stay in the mapped bundle and are
/// dequantised a tile or a row at a time.
/// Not thread-safe: one model runs one batch at a time (it owns its buffers).
public final class T5Model {
    public let config: T5Config
    public let compute: Compute
    let tokens: WeightMatrix
    let head: WeightMatrix
    let encoderBias: Matrix, decoderBias: Matrix
    let encoderLayers: [T5Layer], decoderLayers: [T5Layer]
    let encoderNorm: Matrix
    /// The decoder's final norm weights, times hidden_size^-0.5 for a tied head: original T5
    /// scales the normed state before the shared embedding, and the scale commutes into γ.
    public let headNorm: Matrix
    let scratch: TileScratch
    private var encoderSpaces = WorkspaceCache<T5EncoderWorkspace>()
    private var decoderSpace: T5DecoderWorkspace?

    public convenience init(path: String, threads: Int = 1, tileRows: Int = 64) throws {
        try self.init(bundle: BundleFile(path: path), threads: threads, tileRows: tileRows)
    }

    /// `tileRows`: how many rows of a block weight are dequantised at once per thread.
    public init(bundle: BundleFile, threads: Int = 1, tileRows: Int = 64) throws(ModelError) {
        guard bundle.manifest.family == .t5 else { throw .config("family is \(bundle.manifest.family.rawValue), not t5") }
        let config = try T5Config(bundle.manifest.config)
        self.config = config
        compute = Compute(threads: threads)
        let d = config.hiddenSize, inner = config.innerSize, ff = config.intermediateSize

        func load(_ name: String, _ shape: [Int]) throws(ModelError) -> Matrix { try bundle.matrix(name, shape) }
        func linear(_ name: String, out: Int, in inFeatures: Int) throws(ModelError) -> WeightLinear {
            try bundle.weightLinear(name, out: out, in: inFeatures, bias: false)
        }
        func feedForward(_ p: String) throws(ModelError) -> T5FeedForward {
            let up = try linear(p + "ffn.up", out: ff, in: d)
            return T5FeedForward(
                norm: try load(p + "ffn.norm.weight", [d]),
                up: StackedLinear(config.gated ? [try linear(p + "ffn.gate", out: ff, in: d), up] : [up]),
                down: try linear(p + "ffn.down", out: d, in: ff))
        }
        func selfAttention(_ p: String) throws(ModelError) -> T5Attention {
            T5Attention(
                norm: try load(p + ".norm.weight", [d]), q: nil, kv: nil,
                qkv: StackedLinear([try linear(p + ".q", out: inner, in: d), try linear(p + ".k", out: inner, in: d),
                                    try linear(p + ".v", out: inner, in: d)]),
                output: try linear(p + ".o", out: d, in: inner))
        }
        func crossAttention(_ p: String) throws(ModelError) -> T5Attention {
            T5Attention(
                norm: try load(p + ".norm.weight", [d]), q: try linear(p + ".q", out: inner, in: d),
                kv: StackedLinear([try linear(p + ".k", out: inner, in: d), try linear(p + ".v", out: inner, in: d)]),
                qkv: nil, output: try linear(p + ".o", out: d, in: inner))
        }

        tokens = try bundle.weight("embed.tokens", [config.vocabularySize, d])
        // Without head.weight the head is the embedding, scaled or not as tied_embeddings says
        // (llama.cpp's T5 GGUFs: never scaled).
        head = bundle.tensor(named: "head.weight") != nil ? try bundle.weight("head.weight", [config.vocabularySize, d]) : tokens
        let bias = [config.relativeBuckets, config.heads]
        encoderBias = try load("encoder.position_bias", bias)
        decoderBias = try load("decoder.position_bias", bias)
        var encoderLayers: [T5Layer] = []
        for n in 0..<config.encoderLayers {
            let p = "encoder.layers.\(n)."
            encoderLayers.append(T5Layer(attention: try selfAttention(p + "attn"), cross: nil, feedForward: try feedForward(p)))
        }
        var decoderLayers: [T5Layer] = []
        for n in 0..<config.decoderLayers {
            let p = "decoder.layers.\(n)."
            decoderLayers.append(T5Layer(attention: try selfAttention(p + "attn"), cross: try crossAttention(p + "cross"),
                                         feedForward: try feedForward(p)))
        }
        self.encoderLayers = encoderLayers
        self.decoderLayers = decoderLayers
        encoderNorm = try load("encoder.final.norm.weight", [d])
        let decoderNorm = try load("decoder.final.norm.weight", [d])
        let scale = config.tiedEmbeddings ? 1 / Float(d).squareRoot() : 1
        headNorm = Matrix(rows: 1, cols: d, values: decoderNorm.toArray().map { $0 * scale })
        scratch = TileScratch(threads: compute.threads, tileRows: tileRows, maxCols: max(d, inner, ff))
    }

    /// Every layer matrix, the embedding and the head as they are held, dense f32 or blocks:
    /// lets a caller check that a quantised bundle was not decoded at load.
    public var weights: [WeightMatrix] {
        [tokens, head] + encoderLayers.flatMap(\.weights) + decoderLayers.flatMap(\.weights)
    }

    public var encoderLayerCount: Int { encoderLayers.count }

    // MARK: Encoder

    private func encoderWorkspace(count: Int, length: Int) -> T5EncoderWorkspace {
        encoderSpaces.space(count: count, length: length) {
            let space = T5EncoderWorkspace(config, count: count, length: length)
            T5PositionBias.expand(encoderBias, into: space.bias, length: length, bidirectional: true,
                                  maxDistance: config.relativeMaxDistance)
            return space
        }
    }

    /// The token embeddings of `batch` (T5 adds no positions and does not scale):
    /// [count·length, hidden], owned by the model's workspace and overwritten by the next
    /// `embed` of a batch with the same shape.
    public func embed(_ batch: TokenBatch) throws(ModelError) -> Matrix {
        let space = encoderWorkspace(count: batch.count, length: batch.length)
        try gather(batch.ids, into: space.hidden)
        return space.hidden
    }

    /// Runs encoder layers `range` in place on `hidden` ([count·length, hidden], from `embed`
    /// or a multiplexed sequence; any range, so a caller can split the stack).
    /// Padded positions are left out as keys; their own rows carry no meaning.
    public func runEncoderLayers(_ range: Range<Int>, _ hidden: Matrix, _ shape: PaddedShape) {
        precondition(range.lowerBound >= 0 && range.upperBound <= encoderLayers.count)
        precondition(hidden.rows == shape.rows && hidden.cols == config.hiddenSize)
        let space = encoderWorkspace(count: shape.count, length: shape.length)
        precondition(hidden !== space.normed && hidden !== space.projected)
        for n in range {
            let layer = encoderLayers[n]
            compute.rmsNorm(hidden, into: space.normed, gamma: layer.attention.norm, eps: config.layerNormEps)
            compute.linear(space.normed, layer.attention.qkv!, into: space.qkv, scratch: scratch)
            encoderAttention(space, shape)
            compute.linear(space.context, layer.attention.output, into: space.projected, scratch: scratch)
            add(space.projected, into: hidden)
            feedForward(layer.feedForward, hidden, normed: space.normed, ff: space.ff, out: space.projected)
        }
    }

    /// The encoder's final layer norm, in place: `hidden` becomes the encoder output.
    public func finishEncoder(_ hidden: Matrix) {
        compute.rmsNorm(hidden, gamma: encoderNorm, eps: config.layerNormEps)
    }

    /// Embeds and runs the whole encoder: the encoder output, owned by the workspace.
    public func encode(_ batch: TokenBatch) throws(ModelError) -> Matrix {
        let hidden = try embed(batch)
        runEncoderLayers(0..<encoderLayers.count, hidden, batch.shape)
        finishEncoder(hidden)
        return hidden
    }

    /// Bidirectional self-attention of every (sequence, head) over its real tokens, no 1/√d
    /// scaling (T5 folds it into the initialisation), plus the position bias.
    private func encoderAttention(_ space: T5EncoderWorkspace, _ batch: PaddedShape) {
        let heads = config.heads, dk = config.headSize, inner = config.innerSize, length = batch.length
        let ld = 3 * inner, biasWidth = space.bias.cols
        let qkv = UnsafePointer(space.qkv.base), context = space.context, scores = space.scores
        let bias = UnsafePointer(space.bias.base)
        let lengths = batch.lengths
        compute.forEachChunk(rows: batch.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads
                let real = lengths[b]
                let q = qkv + b * length * ld + head * dk
                let out = context.base + b * length * inner + head * dk
                for t in real..<length { (out + t * inner).update(repeating: 0, count: dk) }
                attentionHead(q: q, k: q + inner, v: q + 2 * inner, ld: ld, real: real, headSize: dk, scale: 1, causal: false,
                              bias: bias + head * biasWidth + (length - 1), probabilities: scores.row(pair), out: out, ldOut: inner)
            }
        }
    }

    // MARK: Decoder

    private func decoderWorkspace(for decoder: TokenBatch, encoderLength: Int) -> T5DecoderWorkspace {
        if let space = decoderSpace, space.count == decoder.count, space.length == decoder.length,
           space.encoderLength == encoderLength { return space }
        let space = T5DecoderWorkspace(config, count: decoder.count, length: decoder.length, encoderLength: encoderLength)
        T5PositionBias.expand(decoderBias, into: space.bias, length: decoder.length, bidirectional: false,
                              maxDistance: config.relativeMaxDistance)
        decoderSpace = space
        return space
    }

    /// Runs the decoder on `decoder` (ids starting with decoder_start_token_id, right-padded:
    /// causal attention means padding never reaches a real position) against `encoderOutput`
    /// shaped `encoder`, whose padded positions are masked out. Returns the final states, normed and,
    /// for tied models, scaled by hidden_size^-0.5: what the LM head multiplies.
    /// [count·decoderLength, hidden], owned by the model's workspace.
    public func decode(_ decoder: TokenBatch, encoderOutput: Matrix, encoder batch: PaddedShape) throws(ModelError) -> Matrix {
        let hidden = try runDecoder(decoder, encoderOutput: encoderOutput, encoder: batch)
        finishDecoder(hidden)
        return hidden
    }

    /// `decode` up to the last decoder layer: the states before the final norm, where a
    /// multiplexed task separates its queries. Owned by the model's workspace.
    public func runDecoder(_ decoder: TokenBatch, encoderOutput: Matrix, encoder batch: PaddedShape) throws(ModelError) -> Matrix {
        guard decoder.count == batch.count else {
            throw .config("\(decoder.count) decoder sequences for \(batch.count) encoder sequences")
        }
        precondition(encoderOutput.rows == batch.count * batch.length && encoderOutput.cols == config.hiddenSize)
        let space = decoderWorkspace(for: decoder, encoderLength: batch.length)
        let hidden = space.hidden
        try gather(decoder.ids, into: hidden)
        for layer in decoderLayers {
            compute.rmsNorm(hidden, into: space.normed, gamma: layer.attention.norm, eps: config.layerNormEps)
            compute.linear(space.normed, layer.attention.qkv!, into: space.qkv, scratch: scratch)
            causalAttention(space, decoder)
            compute.linear(space.context, layer.attention.output, into: space.projected, scratch: scratch)
            add(space.projected, into: hidden)

            let cross = layer.cross!
            compute.rmsNorm(hidden, into: space.normed, gamma: cross.norm, eps: config.layerNormEps)
            compute.linear(space.normed, cross.q!, into: space.crossQ, scratch: scratch)
            compute.linear(encoderOutput, cross.kv!, into: space.crossKV, scratch: scratch)
            crossAttention(space, batch)
            compute.linear(space.context, cross.output, into: space.projected, scratch: scratch)
            add(space.projected, into: hidden)

            feedForward(layer.feedForward, hidden, normed: space.normed, ff: space.ff, out: space.projected)
        }
        return hidden
    }

    /// The decoder's final norm in place on `states` (from `runDecoder`, or separated from
    /// them), with the tied head's hidden_size^-0.5 folded into its weights (`headNorm`).
    public func finishDecoder(_ states: Matrix) {
        compute.rmsNorm(states, gamma: headNorm, eps: config.layerNormEps)
    }

    /// Causal self-attention: query t sees decoder positions 0...t.
    private func causalAttention(_ space: T5DecoderWorkspace, _ decoder: TokenBatch) {
        let heads = config.heads, dk = config.headSize, inner = config.innerSize, length = decoder.length
        let ld = 3 * inner, biasWidth = space.bias.cols
        let qkv = UnsafePointer(space.qkv.base), context = space.context, scores = space.scores
        let bias = UnsafePointer(space.bias.base)
        compute.forEachChunk(rows: decoder.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads
                let q = qkv + b * length * ld + head * dk
                attentionHead(q: q, k: q + inner, v: q + 2 * inner, ld: ld, real: length, headSize: dk, scale: 1, causal: true,
                              bias: bias + head * biasWidth + (length - 1), probabilities: scores.row(pair),
                              out: context.base + b * length * inner + head * dk, ldOut: inner)
            }
        }
    }

    /// Cross-attention of every decoder position over the real tokens of its encoder sequence;
    /// no position bias.
    private func crossAttention(_ space: T5DecoderWorkspace, _ batch: PaddedShape) {
        let heads = config.heads, dk = config.headSize, inner = config.innerSize
        let length = space.length, encoderLength = batch.length
        let crossQ = UnsafePointer(space.crossQ.base), kv = UnsafePointer(space.crossKV.base)
        let context = space.context, scores = space.scores
        let lengths = batch.lengths
        compute.forEachChunk(rows: batch.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads
                let real = lengths[b]
                let out = context.base + b * length * inner + head * dk
                guard real > 0 else {
                    for t in 0..<length { (out + t * inner).update(repeating: 0, count: dk) }
                    continue
                }
                let q = crossQ + b * length * inner + head * dk
                let k = kv + b * encoderLength * 2 * inner + head * dk
                let p = scores.row(pair)
                sgemmABt(m: length, n: real, k: dk, alpha: 1, q, lda: inner, k, ldb: 2 * inner, beta: 0, p, ldc: real)
                for t in 0..<length { softmaxInPlace(p + t * real, count: real) }
                sgemmAB(m: length, n: dk, k: real, alpha: 1, p, lda: real, k + inner, ldb: 2 * inner, beta: 0, out, ldc: inner)
            }
        }
    }

    // MARK: Head

    /// Full-vocabulary logits of the given rows of `decode`'s output (row b·decoderLength + t
    /// is sequence b's position t): [rows.count][vocab_size].
    public func logits(_ states: Matrix, rows: [Int]) -> [[Float]] {
        let d = config.hiddenSize
        // Gathered into one matrix so a block head is dequantised once for all the rows.
        let selected = Matrix(rows: rows.count, cols: d)
        for (i, r) in rows.enumerated() {
            precondition(r >= 0 && r < states.rows, "row \(r) is outside the decoder states")
            selected.row(i).update(from: states.row(r), count: d)
        }
        let logits = Matrix(rows: rows.count, cols: config.vocabularySize)
        compute.linear(selected.base, lda: d, rows: rows.count, head, into: logits.base, ldc: logits.cols, scratch: scratch)
        return (0..<rows.count).map(logits.rowArray)
    }

    /// Logits restricted to `tokens` (a task's label words), one dot product each instead of
    /// the whole head: [rows.count][tokens.count].
    public func logits(_ states: Matrix, rows: [Int], tokens ids: [Int32]) throws(ModelError) -> [[Float]] {
        let d = config.hiddenSize
        let words = try headRows(ids)
        return rows.map { r in
            precondition(r >= 0 && r < states.rows, "row \(r) is outside the decoder states")
            let state = states.row(r)
            return ids.indices.map { i in
                let weights = words.row(i)
                var sum: Float = 0
                for c in 0..<d { sum += state[c] * weights[c] }
                return sum
            }
        }
    }

    /// The LM head's rows of `tokens` (a task's label words), [tokens.count, hidden].
    public func headRows(_ tokens: [Int32]) throws(ModelError) -> Matrix {
        for id in tokens where id < 0 || Int(id) >= config.vocabularySize { throw .config("token id \(id) is out of range") }
        let rows = Matrix(rows: tokens.count, cols: config.hiddenSize)
        for (i, id) in tokens.enumerated() { head.copyRow(Int(id), to: rows.row(i)) }
        return rows
    }

    // MARK: Shared pieces

    /// Rows of the shared embedding for `ids`.
    private func gather(_ ids: [Int32], into hidden: Matrix) throws(ModelError) {
        for id in ids where id < 0 || Int(id) >= config.vocabularySize { throw .config("token id \(id) is out of range") }
        let tokens = tokens
        ids.withUnsafeBufferPointer { ids in
            compute.forEachChunk(rows: ids.count, minRows: 16) { range in
                for r in range { tokens.copyRow(Int(ids[r]), to: hidden.row(r)) }
            }
        }
    }

    /// hidden += delta, row-parallel.
    private func add(_ delta: Matrix, into hidden: Matrix) {
        let cols = hidden.cols
        let source = UnsafePointer(delta.base)
        compute.forEachChunk(rows: hidden.rows, minRows: 16) { range in
            addVector(hidden.row(range.lowerBound), source + range.lowerBound * cols, count: range.count * cols)
        }
    }

    /// hidden += down(act(gate) · up) or down(act(up)) of the normed hidden state.
    private func feedForward(_ layer: T5FeedForward, _ hidden: Matrix, normed: Matrix, ff: Matrix, out: Matrix) {
        compute.rmsNorm(hidden, into: normed, gamma: layer.norm, eps: config.layerNormEps)
        compute.linear(normed, layer.up, into: ff, scratch: scratch)
        let width = config.intermediateSize, activation = config.activation, gated = config.gated, cols = ff.cols
        compute.forEachChunk(rows: ff.rows, minRows: 8) { range in
            for r in range {
                let row = ff.row(r)
                activation.apply(row, count: width)
                if gated { multiplyVector(row, row + width, count: width) }
            }
        }
        compute.linear(ff.base, lda: cols, rows: ff.rows, layer.down, into: out.base, ldc: out.cols, scratch: scratch)
        add(out, into: hidden)
    }
}
