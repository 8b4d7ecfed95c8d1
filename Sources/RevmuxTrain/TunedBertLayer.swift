import RevmuxCompute

/// A BERT layer whose weights are trained (`revmux train head --tune-layers k`): the
/// parameters share storage with `layer`, so every optimiser step is what the next forward
/// pass computes with.
public final class TunedBertLayer {
    public let index: Int
    let qkv: TrainableLinear
    let output: TrainableLinear
    let attnNorm: (gamma: Parameter, beta: Parameter)
    let up: TrainableLinear
    let down: TrainableLinear
    let ffnNorm: (gamma: Parameter, beta: Parameter)
    public let layer: FrozenBertLayer

    /// Layer `index`, starting from `initial`'s weights (copied: the backbone stays as it is).
    public init(index: Int, from initial: FrozenBertLayer) {
        func trainable(_ name: String, _ linear: Linear) -> TrainableLinear {
            TrainableLinear(name: "layers.\(index)." + name, weight: linear.weight.copy(), bias: linear.bias!.copy())
        }
        func norm(_ name: String, _ pair: (gamma: Matrix, beta: Matrix)) -> (gamma: Parameter, beta: Parameter) {
            let prefix = "layers.\(index).\(name)."
            return (Parameter(name: prefix + "weight", value: pair.gamma.copy(), shape: [pair.gamma.count], decays: false),
                    Parameter(name: prefix + "bias", value: pair.beta.copy(), shape: [pair.beta.count], decays: false))
        }
        self.index = index
        qkv = trainable("attn.qkv", initial.qkv)
        output = trainable("attn.o", initial.output)
        attnNorm = norm("attn.norm", initial.attnNorm)
        up = trainable("ffn.up", initial.up)
        down = trainable("ffn.down", initial.down)
        ffnNorm = norm("ffn.norm", initial.ffnNorm)
        layer = FrozenBertLayer(qkv: qkv.linear, output: output.linear, attnNorm: (attnNorm.gamma.value, attnNorm.beta.value),
                                up: up.linear, down: down.linear, ffnNorm: (ffnNorm.gamma.value, ffnNorm.beta.value))
    }

    /// What the optimiser updates. LayerNorm parameters are not decayed (as in BERT's own fine-tuning).
    public var parameters: [Parameter] {
        qkv.parameters + output.parameters + [attnNorm.gamma, attnNorm.beta] + up.parameters + down.parameters
            + [ffnNorm.gamma, ffnNorm.beta]
    }

    /// Where the encoder's backward pass adds this layer's weight gradients.
    var gradients: BertLayerGradients {
        BertLayerGradients(qkv: (qkv.weight.grad, qkv.bias.grad), output: (output.weight.grad, output.bias.grad),
                           attnNorm: (attnNorm.gamma.grad, attnNorm.beta.grad), up: (up.weight.grad, up.bias.grad),
                           down: (down.weight.grad, down.bias.grad), ffnNorm: (ffnNorm.gamma.grad, ffnNorm.beta.grad))
    }

    /// The tensors to save, under the backbone's canonical names: the stacked Q, K, V split
    /// back into `attn.q`, `attn.k` and `attn.v`.
    public var savedTensors: [Parameter] {
        let d = qkv.outFeatures / 3, prefix = "layers.\(index).attn."
        let split = ["q", "k", "v"].enumerated().flatMap { part, name -> [Parameter] in
            let weight = Matrix(rows: d, cols: qkv.inFeatures), bias = Matrix(rows: 1, cols: d)
            weight.base.update(from: qkv.weight.value.row(part * d), count: d * qkv.inFeatures)
            bias.base.update(from: qkv.bias.value.base + part * d, count: d)
            return [Parameter(name: prefix + name + ".weight", value: weight, shape: [d, qkv.inFeatures], decays: true),
                    Parameter(name: prefix + name + ".bias", value: bias, shape: [d], decays: false)]
        }
        return split + output.parameters + [attnNorm.gamma, attnNorm.beta] + up.parameters + down.parameters
            + [ffnNorm.gamma, ffnNorm.beta]
    }
}

/// The gradient buffers of one trained BERT layer, each the shape of its weight.
struct BertLayerGradients {
    let qkv: (weight: Matrix, bias: Matrix)
    let output: (weight: Matrix, bias: Matrix)
    let attnNorm: (gamma: Matrix, beta: Matrix)
    let up: (weight: Matrix, bias: Matrix)
    let down: (weight: Matrix, bias: Matrix)
    let ffnNorm: (gamma: Matrix, beta: Matrix)
}
