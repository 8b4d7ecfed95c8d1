import RevmuxBundle
import RevmuxCompute

/// The RevMUX adapters being trained: W_down, F_0..F_{N-1} (Linear(k, d) → ReLU →
/// Linear(d, k)) and U (k → 3d → 3d → d, ReLU between), ../shared/revmux-method.md.
public final class TrainableAdapters {
    public let hidden: Int
    public let width: Int
    public let down: TrainableLinear
    public let couplings: [(fc1: TrainableLinear, fc2: TrainableLinear)]
    public let up: [TrainableLinear]

    public var reduced: Int { hidden / width }

    /// PyTorch's default Linear initialisation, U(±1/√fan_in) for weights and biases, from `seed`.
    public init(hidden d: Int, width: Int, seed: UInt64) {
        precondition(width >= 2 && d % width == 0)
        hidden = d
        self.width = width
        var random = SplitMix64(seed: seed)
        let k = d / width
        func layer(_ name: String, out: Int, in inFeatures: Int) -> TrainableLinear {
            let bound = 1 / Float(inFeatures).squareRoot()
            return TrainableLinear(name: name, weight: random.matrix(out, inFeatures, bound), bias: random.matrix(1, out, bound))
        }
        down = layer("revmux.down", out: k, in: d)
        couplings = (0..<width).map { n in
            (layer("revmux.mux.\(n).fc1", out: d, in: k), layer("revmux.mux.\(n).fc2", out: k, in: d))
        }
        up = [layer("revmux.up.fc1", out: 3 * d, in: k), layer("revmux.up.fc2", out: 3 * d, in: 3 * d),
              layer("revmux.up.fc3", out: d, in: 3 * d)]
    }

    /// Adapters with the given values, in `parameters` order (tests, resumed runs).
    public init(hidden d: Int, width: Int, values: [Matrix]) {
        precondition(width >= 2 && d % width == 0 && values.count == 2 * (1 + 2 * width + 3))
        hidden = d
        self.width = width
        var at = 0
        func layer(_ name: String) -> TrainableLinear {
            defer { at += 2 }
            return TrainableLinear(name: name, weight: values[at], bias: values[at + 1])
        }
        down = layer("revmux.down")
        var couplings: [(TrainableLinear, TrainableLinear)] = []
        for n in 0..<width { couplings.append((layer("revmux.mux.\(n).fc1"), layer("revmux.mux.\(n).fc2"))) }
        self.couplings = couplings
        up = [layer("revmux.up.fc1"), layer("revmux.up.fc2"), layer("revmux.up.fc3")]
    }

    /// Every trained tensor, in the order and with the names of AdapterLayout.
    public var parameters: [Parameter] {
        down.parameters + couplings.flatMap { $0.fc1.parameters + $0.fc2.parameters } + up.flatMap(\.parameters)
    }
}

extension SplitMix64 {
    /// A rows × cols matrix of U(±bound) values, in the order `--init-adapters` draws them.
    mutating func matrix(_ rows: Int, _ cols: Int, _ bound: Float) -> Matrix {
        Matrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in uniform(bound) })
    }
}
