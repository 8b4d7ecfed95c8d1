import RevmuxBundle
import RevmuxCompute
import RevmuxModels

/// One post-norm BERT layer's weights, frozen: gradients flow through it, never into it.
public struct FrozenBertLayer {
    public let qkv: Linear          // Q, K, V stacked: [3·d, d]
    public let output: Linear
    public let attnNorm: (gamma: Matrix, beta: Matrix)
    public let up: Linear
    public let down: Linear
    public let ffnNorm: (gamma: Matrix, beta: Matrix)

    public init(qkv: Linear, output: Linear, attnNorm: (Matrix, Matrix), up: Linear, down: Linear, ffnNorm: (Matrix, Matrix)) {
        self.qkv = qkv
        self.output = output
        self.attnNorm = attnNorm
        self.up = up
        self.down = down
        self.ffnNorm = ffnNorm
    }

    /// Layer `index` of a BERT bundle, by the canonical names BertModel reads.
    public init(bundle: BundleFile, index: Int, config: BertConfig) throws(TrainError) {
        let h = config.hiddenSize, inter = config.intermediateSize, p = "layers.\(index)."
        func load(_ name: String, _ shape: [Int]) throws(TrainError) -> Matrix { try bundle.frozenMatrix(name, shape) }
        func linear(_ prefix: String, out: Int, in inFeatures: Int) throws(TrainError) -> Linear {
            try bundle.frozenLinear(prefix, out: out, in: inFeatures, bias: true)
        }
        self.init(qkv: Linear.stacking([try linear(p + "attn.q", out: h, in: h), try linear(p + "attn.k", out: h, in: h),
                                        try linear(p + "attn.v", out: h, in: h)]),
                  output: try linear(p + "attn.o", out: h, in: h),
                  attnNorm: (try load(p + "attn.norm.weight", [h]), try load(p + "attn.norm.bias", [h])),
                  up: try linear(p + "ffn.up", out: inter, in: h),
                  down: try linear(p + "ffn.down", out: h, in: inter),
                  ffnNorm: (try load(p + "ffn.norm.weight", [h]), try load(p + "ffn.norm.bias", [h])))
    }
}
