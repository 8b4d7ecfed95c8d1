import Foundation
import RevmuxCompute
import RevmuxModels

/// The teacher with its top layers tuned (`revmux train head --tune-layers k`): the states
/// after the frozen layers [0, L − k) are cached; each step runs the tuned layers, the pooler
/// (tuned too, when the model has one) and the classifier on the [CLS] position, and the
/// cross-entropy's gradient reaches every one of their weights.
public final class TuningObjective {
    public let layers: [TunedBertLayer]
    public let pooler: TrainableLinear?
    public let classifier: TrainableLinear
    let encoder: TrainingEncoder
    let compute: Compute

    public init(layers: [TunedBertLayer], heads: Int, eps: Float, pooler: Linear?, classifier: TrainableLinear, compute: Compute) {
        self.layers = layers
        self.pooler = pooler.map { TrainableLinear(name: "pooler", weight: $0.weight.copy(), bias: $0.bias!.copy()) }
        self.classifier = classifier
        encoder = TrainingEncoder(layers: [], tuned: layers, heads: heads, eps: eps, compute: compute)
        self.compute = compute
    }

    public var parameters: [Parameter] {
        layers.flatMap(\.parameters) + (pooler?.parameters ?? []) + classifier.parameters
    }

    /// What `revmux convert --adapters` and `train adapters --head` read: the classifier,
    /// and the tuned pooler and layers under the backbone's own names.
    public var savedTensors: [Parameter] {
        classifier.parameters + (pooler?.parameters ?? []) + layers.flatMap(\.savedTensors)
    }

    /// Mean cross-entropy and hits of `batch` (states after layer L − k − 1); adds every
    /// tuned weight's gradient when `backward`.
    public func evaluate(_ batch: PrefilledBatch, backward: Bool) -> (loss: Float, correct: Int) {
        let shape = batch.shape, d = classifier.inFeatures
        let out = encoder.forward(batch.states, shape)
        let cls = Matrix(rows: shape.count, cols: d)
        for q in 0..<shape.count { cls.row(q).update(from: out.row(q * shape.length), count: d) }
        let pooled = pooler.map { compute.denseTanh(cls, rows: shape.count, $0.linear) } ?? cls
        let logits = Matrix(rows: shape.count, cols: classifier.outFeatures)
        compute.linear(pooled, classifier.linear, into: logits)
        let dLogits = Matrix(rows: shape.count, cols: logits.cols)
        let result = Losses.crossEntropy(logits, labels: batch.labels, into: dLogits)
        guard backward else { return result }

        let dPooled = Matrix(rows: shape.count, cols: d)
        classifier.backward(x: pooled, rows: shape.count, dy: dLogits, dx: dPooled, compute: compute)
        var dCls = dPooled
        if let pooler {
            Pointwise.tanhBackward(dPooled.base, output: pooled.base, count: dPooled.count)
            dCls = Matrix(rows: shape.count, cols: d)
            pooler.backward(x: cls, rows: shape.count, dy: dPooled, dx: dCls, compute: compute)
        }
        let dOut = Matrix(rows: shape.rows, cols: d)
        for q in 0..<shape.count { dOut.row(q * shape.length).update(from: dCls.row(q), count: d) }
        _ = encoder.backward(dOut)
        return result
    }
}
