import Foundation

/// torch.optim.AdamW: moments with bias correction, and weight decay decoupled from the
/// gradient (p ← p − lr·λ·p before the Adam step), on parameters that `decays`.
public final class AdamW {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float, weightDecay: Float
    public private(set) var step = 0
    let parameters: [Parameter]
    private var m: [[Float]], v: [[Float]]

    public init(parameters: [Parameter], learningRate: Float, weightDecay: Float = 0.01,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        m = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        v = m
    }

    /// The first and second moments per parameter, for checkpoints.
    public var moments: [(m: [Float], v: [Float])] { Array(zip(m, v)) }

    /// Continues from a checkpoint's step count and moments.
    public func restore(step: Int, moments: [(m: [Float], v: [Float])]) {
        precondition(moments.count == parameters.count)
        self.step = step
        m = moments.map(\.m)
        v = moments.map(\.v)
    }

    /// Zeroes every gradient before the next batch accumulates into them.
    public func zeroGradients() {
        for p in parameters { p.grad.zero() }
    }

    /// One update from the accumulated gradients.
    public func update() {
        step += 1
        let correction1 = 1 - powf(beta1, Float(step)), correction2 = 1 - powf(beta2, Float(step))
        let stepSize = learningRate / correction1, root2 = correction2.squareRoot()
        for (index, p) in parameters.enumerated() {
            let value = p.value.base, grad = p.grad.base
            let decay: Float = p.decays ? 1 - learningRate * weightDecay : 1
            let b1 = beta1, b2 = beta2, eps = epsilon
            m[index].withUnsafeMutableBufferPointer { m in
                v[index].withUnsafeMutableBufferPointer { v in
                    for i in 0..<m.count {
                        value[i] *= decay
                        m[i] = b1 * m[i] + (1 - b1) * grad[i]
                        v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i]
                        value[i] -= stepSize * m[i] / (v[i].squareRoot() / root2 + eps)
                    }
                }
            }
        }
    }
}
