import RevmuxBundle
import RevmuxCompute
import RevmuxModels

/// A T5 decoder block's cross-attention weights: Q reads the decoder's stream, K and V the
/// encoder output (the mixed sequence), so gradients reach the encoder through K and V.
public struct FrozenT5CrossAttention {
    public let q: Linear        // [inner, d], no bias
    public let kv: Linear       // K, V stacked: [2·inner, d]
    public let output: Linear   // [d, inner]
    public let norm: Matrix

    public init(q: Linear, kv: Linear, output: Linear, norm: Matrix) {
        self.q = q
        self.kv = kv
        self.output = output
        self.norm = norm
    }
}

/// One pre-norm T5 block's weights, decoded to f32 once (block-quantised weights too):
/// frozen, gradients flow through it, never into it. Encoder blocks have no cross-attention.
public struct FrozenT5Layer {
    public let qkv: Linear          // self-attention Q, K, V stacked: [3·inner, d], no bias
    public let output: Linear       // [d, inner]
    public let attnNorm: Matrix
    public let cross: FrozenT5CrossAttention?
    public let up: Linear           // [ff, d]; gated: gate and up stacked, gate first, [2·ff, d]
    public let down: Linear         // [d, ff]
    public let ffnNorm: Matrix

    public init(qkv: Linear, output: Linear, attnNorm: Matrix, cross: FrozenT5CrossAttention?, up: Linear, down: Linear,
                ffnNorm: Matrix) {
        self.qkv = qkv
        self.output = output
        self.attnNorm = attnNorm
        self.cross = cross
        self.up = up
        self.down = down
        self.ffnNorm = ffnNorm
    }

    /// Block `index` of a T5 bundle's encoder or decoder, by the canonical names T5Model reads.
    public init(bundle: BundleFile, decoder: Bool, index: Int, config: T5Config) throws(TrainError) {
        let d = config.hiddenSize, inner = config.innerSize, ff = config.intermediateSize
        let p = (decoder ? "decoder" : "encoder") + ".layers.\(index)."
        func load(_ name: String, _ shape: [Int]) throws(TrainError) -> Matrix { try bundle.frozenMatrix(name, shape) }
        func linear(_ name: String, out: Int, in inFeatures: Int) throws(TrainError) -> Linear {
            try bundle.frozenLinear(p + name, out: out, in: inFeatures, bias: false)
        }
        let cross = decoder
            ? FrozenT5CrossAttention(q: try linear("cross.q", out: inner, in: d),
                                     kv: Linear.stacking([try linear("cross.k", out: inner, in: d),
                                                          try linear("cross.v", out: inner, in: d)]),
                                     output: try linear("cross.o", out: d, in: inner), norm: try load(p + "cross.norm.weight", [d]))
            : nil
        let up = try linear("ffn.up", out: ff, in: d)
        self.init(qkv: Linear.stacking([try linear("attn.q", out: inner, in: d), try linear("attn.k", out: inner, in: d),
                                        try linear("attn.v", out: inner, in: d)]),
                  output: try linear("attn.o", out: d, in: inner), attnNorm: try load(p + "attn.norm.weight", [d]), cross: cross,
                  up: config.gated ? Linear.stacking([try linear("ffn.gate", out: ff, in: d), up]) : up,
                  down: try linear("ffn.down", out: d, in: ff), ffnNorm: try load(p + "ffn.norm.weight", [d]))
    }
}
