import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxTensors

/// One pre-norm LLaMA decoder layer.
struct LlamaLayer: Sendable {
    let q, k, v, o: WeightMatrix
    let attnNorm: Matrix
    let gate, up, down: WeightMatrix
    let ffnNorm: Matrix
}

/// Buffers for one batch shape, allocated once and reused by every layer.
final class LlamaWorkspace: @unchecked Sendable {
    let count: Int, length: Int
    let hidden: Matrix       // [count·length, hidden], the residual stream
    let normed: Matrix       // [count·length, hidden]
    let qkv: Matrix          // [count·length, hidden + 2·kv]
    let context: Matrix      // [count·length, hidden]
    let projected: Matrix    // [count·length, hidden]
    let gate: Matrix         // [count·length, intermediate]
    let up: Matrix           // [count·length, intermediate]
    let scores: Matrix       // [count·heads, length·length]
    let last: Matrix         // [count, hidden]: each sequence's last real token
    let rotary: RotaryTable

    init(_ config: LlamaConfig, count: Int, length: Int) {
        self.count = count
        self.length = length
        let rows = count * length, h = config.hiddenSize
        hidden = Matrix(rows: rows, cols: h)
        normed = Matrix(rows: rows, cols: h)
        qkv = Matrix(rows: rows, cols: h + 2 * config.kvSize)
        context = Matrix(rows: rows, cols: h)
        projected = Matrix(rows: rows, cols: h)
        gate = Matrix(rows: rows, cols: config.intermediateSize)
        up = Matrix(rows: rows, cols: config.intermediateSize)
        scores = Matrix(rows: count * config.heads, cols: length * length)
        last = Matrix(rows: count, cols: h)
        rotary = RotaryTable(length: length, headSize: config.headSize, theta: config.ropeTheta)
    }
}

/// A LLaMA decoder (LlamaForCausalLM) on the CPU in f32 arithmetic. f32, f16 and bf16 weights
/// are decoded at load; GGML block weights (Q4_1, Q8_0, ...) stay in the mapped bundle and
/// are dequantised a tile at a time inside each matrix product.
/// Not thread-safe: one model runs one batch at a time (it owns its buffers).
public final class LlamaModel {
    public let config: LlamaConfig
    public let compute: Compute
    let tokens: WeightMatrix
    let head: WeightMatrix
    /// The final RMSNorm's weight (training reads the head's input through it).
    public let finalNorm: Matrix
    let layers: [LlamaLayer]
    let scratch: TileScratch
    private var workspaces = WorkspaceCache<LlamaWorkspace>()

    public convenience init(path: String, threads: Int = 1, tileRows: Int = 64) throws {
        try self.init(bundle: BundleFile(path: path), threads: threads, tileRows: tileRows)
    }

    /// `tileRows`: how many rows of a block weight are dequantised at once per thread.
    public init(bundle: BundleFile, threads: Int = 1, tileRows: Int = 64) throws(ModelError) {
        guard bundle.manifest.family == .llama else { throw .config("the bundle holds a \(bundle.manifest.family) model, not llama") }
        let config = try LlamaConfig(bundle.manifest.config)
        self.config = config
        compute = Compute(threads: threads)
        let h = config.hiddenSize, inter = config.intermediateSize, kv = config.kvSize

        func weight(_ name: String, _ shape: [Int]) throws(ModelError) -> WeightMatrix { try bundle.weight(name, shape) }
        func norm(_ name: String) throws(ModelError) -> Matrix { try bundle.matrix(name, [h]) }

        tokens = try weight("embed.tokens", [config.vocabularySize, h])
        head = config.tiedEmbeddings ? tokens : try weight("head.weight", [config.vocabularySize, h])
        finalNorm = try norm("final.norm.weight")
        var layers: [LlamaLayer] = []
        for n in 0..<config.layers {
            let p = "layers.\(n)."
            layers.append(LlamaLayer(
                q: try weight(p + "attn.q.weight", [h, h]),
                k: try weight(p + "attn.k.weight", [kv, h]),
                v: try weight(p + "attn.v.weight", [kv, h]),
                o: try weight(p + "attn.o.weight", [h, h]),
                attnNorm: try norm(p + "attn.norm.weight"),
                gate: try weight(p + "ffn.gate.weight", [inter, h]),
                up: try weight(p + "ffn.up.weight", [inter, h]),
                down: try weight(p + "ffn.down.weight", [h, inter]),
                ffnNorm: try norm(p + "ffn.norm.weight")))
        }
        self.layers = layers
        scratch = TileScratch(threads: compute.threads, tileRows: tileRows, maxCols: max(h, inter))
    }

    public var layerCount: Int { layers.count }

    private func workspace(count: Int, length: Int) -> LlamaWorkspace {
        workspaces.space(count: count, length: length) { LlamaWorkspace(config, count: count, length: length) }
    }

    /// Token embeddings [count·length, hidden] (positions enter through the rotary
    /// embeddings in every layer). The matrix belongs to the model's workspace and is
    /// overwritten by the next `embed` of a batch with the same shape.
    public func embed(_ batch: TokenBatch) throws(ModelError) -> Matrix {
        guard batch.length <= config.contextLength else {
            throw .config("sequence length \(batch.length) exceeds context_length \(config.contextLength)")
        }
        if let empty = batch.lengths.firstIndex(of: 0) { throw .config("sequence \(empty) is empty; a decoder needs at least one token") }
        for id in batch.ids where id < 0 || Int(id) >= config.vocabularySize { throw .config("token id \(id) is out of range") }
        let space = workspace(count: batch.count, length: batch.length)
        let hidden = space.hidden, tokens = tokens
        batch.ids.withUnsafeBufferPointer { ids in
            compute.forEachChunk(rows: ids.count, minRows: 16) { range in
                for r in range { tokens.copyRow(Int(ids[r]), to: hidden.row(r)) }
            }
        }
        return hidden
    }

    /// Runs decoder layers `range` in place on the first `batch.rows` rows of `hidden` (from
    /// `embed`, or a multiplexed sequence). Attention is causal and sees only each sequence's
    /// real tokens; padded rows are computed but never read by a real one.
    public func runLayers(_ range: Range<Int>, _ hidden: Matrix, _ batch: PaddedShape) {
        precondition(range.lowerBound >= 0 && range.upperBound <= layers.count)
        precondition(hidden.cols == config.hiddenSize && hidden.rows >= batch.rows)
        let space = workspace(count: batch.count, length: batch.length)
        precondition(hidden !== space.normed && hidden !== space.projected)
        let rows = batch.rows
        let h = config.hiddenSize, kv = config.kvSize, inter = config.intermediateSize
        let eps = config.rmsNormEps
        let qkv = space.qkv.base, ld = space.qkv.cols, normed = UnsafePointer(space.normed.base)
        for n in range {
            let layer = layers[n]
            compute.rmsNorm(hidden, into: space.normed, rows: rows, gamma: layer.attnNorm, eps: eps)
            compute.linear(normed, lda: h, rows: rows, layer.q, into: qkv, ldc: ld, scratch: scratch)
            compute.linear(normed, lda: h, rows: rows, layer.k, into: qkv + h, ldc: ld, scratch: scratch)
            compute.linear(normed, lda: h, rows: rows, layer.v, into: qkv + h + kv, ldc: ld, scratch: scratch)
            rotate(space, batch)
            attention(space, batch)
            compute.linear(space.context.base, lda: h, rows: rows, layer.o, into: space.projected.base, ldc: h, scratch: scratch)
            addRows(hidden, space.projected, rows: rows)
            compute.rmsNorm(hidden, into: space.normed, rows: rows, gamma: layer.ffnNorm, eps: eps)
            compute.linear(normed, lda: h, rows: rows, layer.gate, into: space.gate.base, ldc: inter, scratch: scratch)
            compute.linear(normed, lda: h, rows: rows, layer.up, into: space.up.base, ldc: inter, scratch: scratch)
            let gate = space.gate, up = space.up
            compute.forEachChunk(rows: rows, minRows: 16) { range in
                swigluInPlace(up.row(range.lowerBound), gate: gate.row(range.lowerBound), count: range.count * inter)
            }
            compute.linear(space.up.base, lda: inter, rows: rows, layer.down, into: space.projected.base, ldc: h, scratch: scratch)
            addRows(hidden, space.projected, rows: rows)
        }
    }

    private func addRows(_ x: Matrix, _ y: Matrix, rows: Int) {
        let cols = x.cols
        compute.forEachChunk(rows: rows, minRows: 16) { range in
            addVector(x.row(range.lowerBound), y.row(range.lowerBound), count: range.count * cols)
        }
    }

    /// Rotary embeddings on every real token's Q and K heads, at its position in its sequence.
    private func rotate(_ space: LlamaWorkspace, _ batch: PaddedShape) {
        let d = config.headSize, qkvHeads = config.heads + config.kvHeads, layout = config.ropeLayout
        let qkv = space.qkv, rotary = space.rotary, length = batch.length, lengths = batch.lengths
        compute.forEachChunk(rows: batch.count * length, minRows: 16) { range in
            for r in range where r % length < lengths[r / length] {
                let row = qkv.row(r)
                for head in 0..<qkvHeads { rotary.apply(row + head * d, position: r % length, layout: layout) }
            }
        }
    }

    /// Causal scaled dot-product attention of every (sequence, head) over its real tokens;
    /// query heads share K/V heads in groups of heads / kv_heads.
    private func attention(_ space: LlamaWorkspace, _ batch: PaddedShape) {
        let h = config.hiddenSize, kv = config.kvSize, heads = config.heads, d = config.headSize
        let group = heads / config.kvHeads, length = batch.length, ld = space.qkv.cols
        let scale = 1 / Float(d).squareRoot()
        let qkv = UnsafePointer(space.qkv.base), context = space.context, scores = space.scores
        let lengths = batch.lengths
        compute.forEachChunk(rows: batch.count * heads) { range in
            for pair in range {
                let b = pair / heads, head = pair % heads, shared = head / group
                let real = lengths[b]
                let rows = qkv + b * length * ld
                let q = rows + head * d, k = rows + h + shared * d, v = rows + h + kv + shared * d
                let p = scores.row(pair)
                let out = context.base + b * length * h + head * d
                for t in real..<length { (out + t * h).update(repeating: 0, count: d) }
                attentionHead(q: q, k: k, v: v, ld: ld, real: real, headSize: d, scale: scale, causal: true, probabilities: p,
                                    out: out, ldOut: h)
            }
        }
    }

    /// The final RMSNorm of each sequence's last real token, in the workspace: [count, hidden].
    /// `hidden` must have been through every layer.
    public func lastTokenStates(_ hidden: Matrix, _ batch: TokenBatch) -> Matrix {
        let space = workspace(count: batch.count, length: batch.length)
        for b in 0..<batch.count {
            space.last.row(b).update(from: hidden.row(b * batch.length + batch.lengths[b] - 1), count: config.hiddenSize)
        }
        compute.rmsNorm(space.last, gamma: finalNorm, eps: config.rmsNormEps)
        return space.last
    }

    /// Logits of `tokens` for states that have been through every layer but not the final
    /// norm (e.g. separated from a multiplexed sequence), one per row of `states`, which are
    /// normed in place: [rows][tokens.count].
    public func headLogits(_ states: Matrix, rows: Int, tokens: [Int32]) throws(ModelError) -> [[Float]] {
        precondition(states.cols == config.hiddenSize && rows <= states.rows)
        compute.rmsNorm(states, rows: rows, gamma: finalNorm, eps: config.rmsNormEps)
        return try restrictedLogits(states, rows: rows, tokens: tokens)
    }

    /// Logits over the whole vocabulary at each sequence's last real token: [count][vocab].
    /// `hidden` must have been through every layer.
    public func lastTokenLogits(_ hidden: Matrix, _ batch: TokenBatch) -> [[Float]] {
        let last = lastTokenStates(hidden, batch)
        let logits = Matrix(rows: batch.count, cols: config.vocabularySize)
        compute.linear(last.base, lda: last.cols, rows: batch.count, head, into: logits.base, ldc: logits.cols, scratch: scratch)
        return (0..<batch.count).map(logits.rowArray)
    }

    /// Logits of `tokens` only (e.g. a verbaliser's label words) at each sequence's last real
    /// token: [count][tokens.count], in the order given.
    public func lastTokenLogits(_ hidden: Matrix, _ batch: TokenBatch, tokens: [Int32]) throws(ModelError) -> [[Float]] {
        try restrictedLogits(lastTokenStates(hidden, batch), rows: batch.count, tokens: tokens)
    }

    /// Rows `tokens` of the LM head, [tokens.count, hidden]: a verbaliser's label words.
    public func headRows(_ tokens: [Int32]) throws(ModelError) -> Matrix {
        for id in tokens where id < 0 || Int(id) >= config.vocabularySize { throw .config("token id \(id) is out of range") }
        let rows = Matrix(rows: tokens.count, cols: config.hiddenSize)
        for (i, id) in tokens.enumerated() { head.copyRow(Int(id), to: rows.row(i)) }
        return rows
    }

    private func restrictedLogits(_ states: Matrix, rows count: Int, tokens: [Int32]) throws(ModelError) -> [[Float]] {
        let rows = try headRows(tokens)
        let logits = Matrix(rows: count, cols: tokens.count)
        sgemmABt(m: count, n: tokens.count, k: config.hiddenSize, alpha: 1, states.base, lda: states.cols,
                 rows.base, ldb: rows.cols, beta: 0, logits.base, ldc: logits.cols)
        return (0..<count).map(logits.rowArray)
    }

    /// Embeds, runs every layer and returns the last-token logits of one padded batch.
    public func lastTokenLogits(_ batch: TokenBatch) throws(ModelError) -> [[Float]] {
        guard batch.count > 0 else { return [] }
        let hidden = try embed(batch)
        runLayers(0..<layers.count, hidden, batch.shape)
        return lastTokenLogits(hidden, batch)
    }

    /// Pads `sequences` to the longest (right padding) and runs them as one batch.
    public func lastTokenLogits(_ sequences: [[Int32]]) throws(ModelError) -> [[Float]] {
        try lastTokenLogits(TokenBatch(padding: sequences))
    }
}
