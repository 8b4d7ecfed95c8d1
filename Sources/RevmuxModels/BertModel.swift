import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxTensors

public enum ModelError: Error, CustomStringConvertible, Sendable {
    case config(String)
    case missingTensor(String)
    case shape(String, [Int], expected: [Int])
    case conversion(String, ConversionError)

    public var description: String {
        switch self {
        case .config(let message): "config: \(message)"
        case .missingTensor(let name): "the bundle has no tensor \"\(name)\""
        case .shape(let name, let shape, let expected): "tensor \(name) has shape \(shape), expected \(expected)"
        case .conversion(let name, let error): "tensor \(name): \(error)"
        }
    }
}

/// Hyper-parameters of a BERT encoder, from a bundle's manifest config.
public struct BertConfig: Sendable, Equatable {
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var vocabularySize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEps: Float
    public var pooling: String
    public var normalize: Bool

    public init(_ config: [String: ConfigValue]) throws(ModelError) {
        func int(_ key: String) throws(ModelError) -> Int {
            guard case .int(let value)? = config[key], value > 0 else { throw .config("\(key) missing or not a positive integer") }
            return value
        }
        hiddenSize = try int("hidden_size")
        layers = try int("layers")
        heads = try int("heads")
        intermediateSize = try int("intermediate_size")
        vocabularySize = try int("vocab_size")
        maxPositions = try int("max_positions")
        if case .int(let types)? = config["type_vocab_size"] { typeVocabularySize = types } else { typeVocabularySize = 2 }
        switch config["layer_norm_eps"] {
        case .double(let eps)?: layerNormEps = Float(eps)
        case .int(let eps)?: layerNormEps = Float(eps)
        default: layerNormEps = 1e-12
        }
        if case .string(let act)? = config["activation"], act != "gelu" {
            throw .config("activation \(act) is not supported (gelu only)")
        }
        if case .string(let pooling)? = config["pooling"] { self.pooling = pooling } else { pooling = "mean" }
        guard pooling == "mean" || pooling == "cls" else { throw .config("pooling \(pooling) is not supported") }
        if case .bool(let normalize)? = config["normalize"] { self.normalize = normalize } else { normalize = false }
        guard hiddenSize % heads == 0 else { throw .config("hidden_size \(hiddenSize) is not a multiple of heads \(heads)") }
    }

    public var headSize: Int { hiddenSize / heads }
}

/// One post-norm BERT encoder layer.
struct BertLayer: Sendable {
    let qkv: StackedLinear   // Q, K, V: [3·hidden, hidden]
    let output: WeightLinear
    let attnNorm: (Matrix, Matrix)
    let up: WeightLinear
    let down: WeightLinear
    let ffnNorm: (Matrix, Matrix)

    var weights: [WeightMatrix] { qkv.parts.map(\.weight) + [output.weight, up.weight, down.weight] }
}

/// Buffers reused by every layer and every batch that fits: the embeddings of up to
/// `paddedRows` positions (padding included), the layers' products over up to `realRows`
/// positions (the layers run packed), and one [length, length] attention map per thread
/// (a (sequence, head)'s map is used up before the thread takes the next).
final class BertWorkspace: @unchecked Sendable {
    let paddedRows: Int, realRows: Int, length: Int
    let hidden: Matrix        // [paddedRows, hidden]
    let qkv: Matrix           // [realRows, 3·hidden]
    let context: Matrix       // [realRows, hidden]
    let projected: Matrix     // [realRows, hidden]
    let intermediate: Matrix  // [realRows, intermediate]
    let probabilities: Matrix // [threads, length·length]

    init(_ config: BertConfig, paddedRows: Int, realRows: Int, length: Int, threads: Int) {
        self.paddedRows = paddedRows
        self.realRows = realRows
        self.length = length
        hidden = Matrix(rows: paddedRows, cols: config.hiddenSize)
        qkv = Matrix(rows: realRows, cols: 3 * config.hiddenSize)
        context = Matrix(rows: realRows, cols: config.hiddenSize)
        projected = Matrix(rows: realRows, cols: config.hiddenSize)
        intermediate = Matrix(rows: realRows, cols: config.intermediateSize)
        probabilities = Matrix(rows: threads, cols: length * length)
    }

    func fits(paddedRows: Int, realRows: Int, length: Int) -> Bool {
        paddedRows <= self.paddedRows && realRows <= self.realRows && length <= self.length
    }
}

/// A BERT encoder (BertModel / sentence-transformers) on the CPU in f32 arithmetic. f32, f16
/// and bf16 weights are decoded at load; GGML block weights (Q8_0, Q4_1, ...) of the layers and
/// embedding tables stay in the mapped bundle and are dequantised a tile or a row at a time
/// (the small pooler is decoded).
/// Not thread-safe: one model runs one batch at a time (it owns its buffers).
public final class BertModel {
    public let config: BertConfig
    public let compute: Compute
    let tokens: WeightMatrix, positions: WeightMatrix, tokenTypes: WeightMatrix
    let embedNorm: (Matrix, Matrix)
    let layers: [BertLayer]
    let scratch: TileScratch
    /// The pooler (dense + tanh over the [CLS] state), when the checkpoint has one.
    public let pooler: Linear?
    private var space: BertWorkspace?

    public convenience init(path: String, threads: Int = 1, tileRows: Int = 256) throws {
        try self.init(bundle: BundleFile(path: path), threads: threads, tileRows: tileRows)
    }

    /// `tileRows`: how many rows of a block weight are dequantised at once per thread. Each
    /// tile's product re-packs the whole input, which for a batch of 32 sentences outweighs
    /// the tile: on MiniLM Q8_0, 256 rows ran 10% faster than LLaMA's 64 (2 threads), for 3 MB
    /// of scratch.
    public init(bundle: BundleFile, threads: Int = 1, tileRows: Int = 256) throws(ModelError) {
        let config = try BertConfig(bundle.manifest.config)
        self.config = config
        compute = Compute(threads: threads)
        let h = config.hiddenSize, inter = config.intermediateSize

        func load(_ name: String, _ shape: [Int]) throws(ModelError) -> Matrix { try bundle.matrix(name, shape) }
        func linear(_ prefix: String, out: Int, in inFeatures: Int) throws(ModelError) -> WeightLinear {
            try bundle.weightLinear(prefix, out: out, in: inFeatures)
        }
        func norm(_ prefix: String) throws(ModelError) -> (Matrix, Matrix) {
            (try load(prefix + ".weight", [h]), try load(prefix + ".bias", [h]))
        }

        tokens = try bundle.weight("embed.tokens", [config.vocabularySize, h])
        positions = try bundle.weight("embed.positions", [config.maxPositions, h])
        tokenTypes = try bundle.weight("embed.token_types", [config.typeVocabularySize, h])
        embedNorm = try norm("embed.norm")
        var layers: [BertLayer] = []
        for n in 0..<config.layers {
            let p = "layers.\(n)."
            let q = try linear(p + "attn.q", out: h, in: h)
            let k = try linear(p + "attn.k", out: h, in: h)
            let v = try linear(p + "attn.v", out: h, in: h)
            layers.append(BertLayer(
                qkv: StackedLinear([q, k, v]),
                output: try linear(p + "attn.o", out: h, in: h),
                attnNorm: try norm(p + "attn.norm"),
                up: try linear(p + "ffn.up", out: inter, in: h),
                down: try linear(p + "ffn.down", out: h, in: inter),
                ffnNorm: try norm(p + "ffn.norm")))
        }
        self.layers = layers
        pooler = bundle.tensor(named: "pooler.weight") == nil ? nil : try bundle.linear("pooler", out: h, in: h)
        scratch = TileScratch(threads: compute.threads, tileRows: tileRows, maxCols: max(h, inter))
    }

    /// Every layer matrix and embedding table as it is held, dense f32 or blocks: lets a
    /// caller check that a quantised bundle was not decoded at load.
    public var weights: [WeightMatrix] { [tokens, positions, tokenTypes] + layers.flatMap(\.weights) }

    /// One workspace, grown to the largest batch seen. A multiplexed run alternates between
    /// B prefill sequences and B/N mixed ones of varying lengths; a cache keyed by shape
    /// thrashed on that, and the fresh buffers' page faults cost the prefill 30-60%.
    private func workspace(paddedRows: Int = 0, realRows: Int = 0, length: Int = 0) -> BertWorkspace {
        if let space, space.fits(paddedRows: paddedRows, realRows: realRows, length: length) { return space }
        let grown = BertWorkspace(config, paddedRows: max(paddedRows, space?.paddedRows ?? 0), realRows: max(realRows, space?.realRows ?? 0),
                                  length: max(length, space?.length ?? 0), threads: compute.threads)
        space = grown
        return grown
    }

    /// Token + position + token-type embeddings, LayerNorm'd, one row per position in
    /// `layout`: [count·length, hidden] padded, or the real positions only, packed (what
    /// `runPackedLayers` takes, with nothing spent on padding).
    /// The matrix belongs to the model's workspace and is overwritten by the next `embed`.
    public func embed(_ batch: TokenBatch, layout: RowLayout) throws(ModelError) -> Matrix {
        guard batch.length <= config.maxPositions else {
            throw .config("sequence length \(batch.length) exceeds max_positions \(config.maxPositions)")
        }
        for id in batch.ids where id < 0 || Int(id) >= config.vocabularySize { throw .config("token id \(id) is out of range") }
        for type in batch.typeIds where type < 0 || Int(type) >= config.typeVocabularySize {
            throw .config("token type id \(type) is out of range")
        }
        let shape = batch.shape, rows = shape.rows(in: layout)
        // Output row r reads token sources[r] (an index into the padded ids) at position r's offset.
        let sources: [Int] = switch layout {
        case .padded: Array(0..<rows)
        case .packed: (0..<shape.count).flatMap { b in (b * shape.length)..<(b * shape.length + shape.lengths[b]) }
        }
        let hidden = workspace(paddedRows: rows).hidden, h = config.hiddenSize, length = batch.length
        let tokens = tokens, positions = positions, tokenTypes = tokenTypes
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { types in
                compute.forEachChunk(rows: rows, minRows: 16) { range in
                    // Position and type rows may be blocks, so they are decoded before adding.
                    let term = UnsafeMutablePointer<Float>.allocate(capacity: h)
                    defer { term.deallocate() }
                    for r in range {
                        let row = hidden.row(r), source = sources[r]
                        tokens.copyRow(Int(ids[source]), to: row)
                        positions.copyRow(source % length, to: term)
                        addVector(row, term, count: h)
                        tokenTypes.copyRow(Int(types[source]), to: term)
                        addVector(row, term, count: h)
                    }
                }
            }
        }
        compute.layerNorm(hidden, rows: rows, gamma: embedNorm.0, beta: embedNorm.1, eps: config.layerNormEps)
        return hidden
    }

    /// The padded embeddings, as the other backbones' `embed` gives them.
    public func embed(_ batch: TokenBatch) throws(ModelError) -> Matrix {
        try embed(batch, layout: .padded)
    }

    /// Runs encoder layers `range` in place on the first `shape.rows` rows of `hidden`
    /// (from `embed`, or a multiplexed sequence). Padded positions are masked out as keys
    /// and come back zero.
    ///
    /// The real rows are packed together first, so every product skips the padding: a batch
    /// of reviews padded to its longest is about 40% padding, which ONNX Runtime computes.
    public func runLayers(_ range: Range<Int>, _ hidden: Matrix, _ shape: PaddedShape) {
        guard !range.isEmpty else { return }
        pack(hidden, shape)
        runPackedLayers(range, hidden, shape)
        unpack(hidden, shape)
    }

    /// Runs encoder layers `range` in place on `shape`'s sequences held packed in `hidden`
    /// (RowLayout.packed: real rows only), leaving them packed.
    public func runPackedLayers(_ range: Range<Int>, _ hidden: Matrix, _ shape: PaddedShape) {
        precondition(range.lowerBound >= 0 && range.upperBound <= layers.count)
        let rows = shape.rows(in: .packed)
        precondition(hidden.cols == config.hiddenSize && hidden.rows >= rows)
        guard !range.isEmpty else { return }
        let space = workspace(realRows: rows, length: shape.lengths.max() ?? 0)
        precondition(hidden !== space.qkv && hidden !== space.context && hidden !== space.projected)
        let starts = shape.starts(in: .packed)
        for n in range {
            let layer = layers[n]
            compute.linear(hidden, rows: rows, layer.qkv, into: space.qkv, scratch: scratch)
            attention(space, starts: starts, lengths: shape.lengths)
            compute.linear(space.context, rows: rows, layer.output, into: space.projected, scratch: scratch)
            compute.layerNorm(hidden, rows: rows, adding: space.projected, gamma: layer.attnNorm.0, beta: layer.attnNorm.1,
                              eps: config.layerNormEps)
            compute.linear(hidden, rows: rows, layer.up, into: space.intermediate, scratch: scratch)
            compute.gelu(space.intermediate, rows: rows)
            compute.linear(space.intermediate, rows: rows, layer.down, into: space.projected, scratch: scratch)
            compute.layerNorm(hidden, rows: rows, adding: space.projected, gamma: layer.ffnNorm.0, beta: layer.ffnNorm.1,
                              eps: config.layerNormEps)
        }
    }

    /// Moves each sequence's real rows of padded `hidden` up to follow the previous
    /// sequence's, in place (RowLayout.padded to .packed). Rows only move towards the front,
    /// in order.
    func pack(_ hidden: Matrix, _ shape: PaddedShape) {
        precondition(hidden.rows >= shape.rows)
        for (b, start) in shape.starts(in: .packed).enumerated() where start != b * shape.length {
            for t in 0..<shape.lengths[b] {
                hidden.row(start + t).update(from: hidden.row(b * shape.length + t), count: hidden.cols)
            }
        }
    }

    /// The inverse of `pack` (rows move back, last first), with the padded rows zeroed.
    func unpack(_ hidden: Matrix, _ shape: PaddedShape) {
        precondition(hidden.rows >= shape.rows)
        let starts = shape.starts(in: .packed)
        for b in stride(from: shape.count - 1, through: 0, by: -1) {
            let real = shape.lengths[b], base = b * shape.length
            if starts[b] != base {
                for t in stride(from: real - 1, through: 0, by: -1) {
                    hidden.row(base + t).update(from: hidden.row(starts[b] + t), count: hidden.cols)
                }
            }
            if real < shape.length { hidden.row(base + real).update(repeating: 0, count: (shape.length - real) * hidden.cols) }
        }
    }

    /// Scaled dot-product attention of every (sequence, head) over its real tokens, on
    /// packed rows (sequence b at rows starts[b] ..< starts[b] + lengths[b]).
    private func attention(_ space: BertWorkspace, starts: [Int], lengths: [Int]) {
        let h = config.hiddenSize, heads = config.heads, d = config.headSize
        let ld = 3 * h
        let scale = 1 / Float(d).squareRoot()
        let qkv = UnsafePointer(space.qkv.base), context = space.context, probabilities = space.probabilities
        compute.forEachIndexedChunk(count: lengths.count * heads) { thread, range in
            let p = probabilities.row(thread)
            for pair in range {
                let b = pair / heads, head = pair % heads
                let real = lengths[b]
                let q = qkv + starts[b] * ld + head * d
                let out = context.base + starts[b] * h + head * d
                attentionHead(q: q, k: q + h, v: q + 2 * h, ld: ld, real: real, headSize: d, scale: scale, causal: false,
                              probabilities: p, out: out, ldOut: h)
            }
        }
    }

    /// Sentence embeddings [count][hidden]: mean over real tokens (or the first token when
    /// config.pooling is "cls"), then L2-normalised when config.normalize.
    public func pool(_ hidden: Matrix, _ batch: TokenBatch) -> [[Float]] {
        let h = config.hiddenSize
        return (0..<batch.count).map { b in
            var sum = [Float](repeating: 0, count: h)
            let real = batch.lengths[b]
            sum.withUnsafeMutableBufferPointer { s in
                if config.pooling == "cls" {
                    if real > 0 { s.baseAddress!.update(from: hidden.row(b * batch.length), count: h) }
                } else {
                    for t in 0..<real { addVector(s.baseAddress!, hidden.row(b * batch.length + t), count: h) }
                    let inv = 1 / Float(max(real, 1))
                    for i in 0..<h { s[i] *= inv }
                }
                if config.normalize {
                    var norm: Float = 0
                    for i in 0..<h { norm += s[i] * s[i] }
                    let inv = 1 / max(norm.squareRoot(), 1e-12)
                    for i in 0..<h { s[i] *= inv }
                }
            }
            return sum
        }
    }

    /// Embeds, runs every layer and pools one padded batch.
    public func sentenceEmbeddings(_ batch: TokenBatch) throws(ModelError) -> [[Float]] {
        guard batch.count > 0, batch.length > 0 else { return Array(repeating: [Float](repeating: 0, count: config.hiddenSize), count: batch.count) }
        let hidden = try embed(batch)
        runLayers(0..<layers.count, hidden, batch.shape)
        return pool(hidden, batch)
    }

    /// Pads `sequences` to the longest and embeds them as one batch.
    public func sentenceEmbeddings(_ sequences: [[Int32]]) throws(ModelError) -> [[Float]] {
        try sentenceEmbeddings(TokenBatch(padding: sequences))
    }

    public var layerCount: Int { layers.count }
}
