import RevmuxCompute

/// A trainable tensor and its gradient, same shape; the optimiser owns its moments.
public final class Parameter {
    /// The canonical tensor name it is saved under (schemas/bundle.md).
    public let name: String
    public let value: Matrix
    public let grad: Matrix
    /// AdamW's decoupled weight decay applies to weights, not to biases.
    public let decays: Bool
    /// The shape it is saved with: [out, in] for weights, [out] for biases.
    public let shape: [Int]

    public init(name: String, value: Matrix, shape: [Int], decays: Bool) {
        precondition(shape.reduce(1, *) == value.count)
        self.name = name
        self.value = value
        self.grad = Matrix(rows: value.rows, cols: value.cols)
        self.decays = decays
        self.shape = shape
    }
}

/// A PyTorch `nn.Linear` whose weight and bias are trained.
public struct TrainableLinear {
    public let weight: Parameter
    public let bias: Parameter

    public init(name: String, weight: Matrix, bias: Matrix) {
        precondition(bias.count == weight.rows)
        self.weight = Parameter(name: name + ".weight", value: weight, shape: [weight.rows, weight.cols], decays: true)
        self.bias = Parameter(name: name + ".bias", value: bias, shape: [weight.rows], decays: false)
    }

    /// Shares storage with the parameters, so forward passes see every optimiser step.
    public var linear: Linear { Linear(weight: weight.value, bias: bias.value) }
    public var parameters: [Parameter] { [weight, bias] }
    public var inFeatures: Int { weight.value.cols }
    public var outFeatures: Int { weight.value.rows }
}
