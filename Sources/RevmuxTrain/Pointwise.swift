import Foundation
import RevmuxCompute

/// Backward passes of the pointwise and row-wise ops the RevMUX path uses. Each takes
/// what its forward kept and returns (or accumulates) the input gradient.
public enum Pointwise {
    /// LayerNorm over rows of `x` (n wide): writes y = x̂·γ + β into `y` and keeps x̂ and
    /// 1/σ per row for `layerNormBackward`.
    public static func layerNorm(_ x: Matrix, rows: Int, gamma: Matrix, beta: Matrix, eps: Float,
                          normalized: Matrix, inverseStd: Matrix, into y: Matrix) {
        let n = x.cols
        for r in 0..<rows {
            let row = x.row(r), xhat = normalized.row(r), out = y.row(r)
            var mean: Float = 0
            for i in 0..<n { mean += row[i] }
            mean /= Float(n)
            var variance: Float = 0
            for i in 0..<n { let c = row[i] - mean; variance += c * c }
            let inv = 1 / (variance / Float(n) + eps).squareRoot()
            inverseStd.base[r] = inv
            for i in 0..<n {
                xhat[i] = (row[i] - mean) * inv
                out[i] = xhat[i] * gamma.base[i] + beta.base[i]
            }
        }
    }

    /// dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ, row by row (γ, β frozen).
    public static func layerNormBackward(_ dy: Matrix, rows: Int, gamma: Matrix, normalized: Matrix, inverseStd: Matrix,
                                  into dx: Matrix) {
        let n = dy.cols
        for r in 0..<rows {
            let g = dy.row(r), xhat = normalized.row(r), out = dx.row(r)
            var meanG: Float = 0, meanGX: Float = 0
            for i in 0..<n {
                let gi = g[i] * gamma.base[i]
                meanG += gi
                meanGX += gi * xhat[i]
            }
            meanG /= Float(n)
            meanGX /= Float(n)
            let inv = inverseStd.base[r]
            for i in 0..<n { out[i] = inv * (g[i] * gamma.base[i] - meanG - xhat[i] * meanGX) }
        }
    }

    /// Adds LayerNorm's parameter gradients over `rows` rows: dγ += Σ dy·x̂, dβ += Σ dy.
    public static func layerNormParameterBackward(_ dy: Matrix, rows: Int, normalized: Matrix, dGamma: Matrix, dBeta: Matrix) {
        let n = dy.cols
        for r in 0..<rows {
            let g = dy.row(r), xhat = normalized.row(r)
            for i in 0..<n {
                dGamma.base[i] += g[i] * xhat[i]
                dBeta.base[i] += g[i]
            }
        }
    }

    /// RMSNorm over rows of `x`: y = x·r·γ with r = 1/√(mean(x²) + ε), keeping r per row for
    /// `rmsNormBackward` (LlamaModel's norm, with what its backward needs).
    public static func rmsNorm(_ x: Matrix, rows: Int, gamma: Matrix, eps: Float, inverseRms: Matrix, into y: Matrix) {
        let n = x.cols
        for r in 0..<rows {
            let row = x.row(r), out = y.row(r)
            var sum: Float = 0
            for i in 0..<n { sum += row[i] * row[i] }
            let inv = 1 / (sum / Float(n) + eps).squareRoot()
            inverseRms.base[r] = inv
            for i in 0..<n { out[i] = row[i] * inv * gamma.base[i] }
        }
    }

    /// Adds dx = r·g − x·r³·mean(g·x) with g = dy·γ, row by row (γ frozen), to `dx`.
    public static func rmsNormBackward(_ dy: Matrix, rows: Int, gamma: Matrix, input x: Matrix, inverseRms: Matrix,
                                       addingInto dx: Matrix) {
        let n = dy.cols
        for r in 0..<rows {
            let g = dy.row(r), row = x.row(r), out = dx.row(r)
            var dot: Float = 0
            for i in 0..<n { dot += g[i] * gamma.base[i] * row[i] }
            let inv = inverseRms.base[r], scale = inv * inv * inv * dot / Float(n)
            for i in 0..<n { out[i] += inv * g[i] * gamma.base[i] - row[i] * scale }
        }
    }

    /// SwiGLU's backward: for a = SiLU(gate)·up, turns dA (in `dUp`'s storage) into dUp and
    /// writes dGate, with SiLU'(g) = σ(g)·(1 + g·(1 − σ(g))).
    public static func swigluBackward(_ dUp: UnsafeMutablePointer<Float>, dGate: UnsafeMutablePointer<Float>,
                                      gate: UnsafePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i], sigma = 1 / (1 + expf(-g)), da = dUp[i]
            dGate[i] = da * up[i] * sigma * (1 + g * (1 - sigma))
            dUp[i] = da * g * sigma
        }
    }

    /// In place: dy ·= GELU'(x) = Φ(x) + x·φ(x), the exact (erf) GELU's derivative.
    public static func geluBackward(_ dy: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, count: Int) {
        let invSqrt2: Float = 0.70710678118654752440, invSqrt2Pi: Float = 0.39894228040143267794
        for i in 0..<count {
            let v = x[i]
            dy[i] *= 0.5 * (1 + erff(v * invSqrt2)) + v * invSqrt2Pi * expf(-0.5 * v * v)
        }
    }

    /// In place: dy ·= GELU'(x) for the tanh approximation (transformers' gelu_new),
    /// y = x/2·(1 + tanh u), u = √(2/π)·(x + 0.044715x³):
    /// y' = (1 + tanh u)/2 + x/2·(1 − tanh²u)·√(2/π)·(1 + 3·0.044715x²).
    public static func geluTanhBackward(_ dy: UnsafeMutablePointer<Float>, input x: UnsafePointer<Float>, count: Int) {
        let scale: Float = 0.79788456080286535588
        for i in 0..<count {
            let v = x[i], t = tanhf(scale * (v + 0.044715 * v * v * v))
            dy[i] *= 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * scale * (1 + 3 * 0.044715 * v * v)
        }
    }

    /// In place: dy is zeroed where the ReLU's output was not positive.
    public static func reluBackward(_ dy: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count where y[i] <= 0 { dy[i] = 0 }
    }

    /// In place: dy ·= 1 − y², y = tanh(x).
    public static func tanhBackward(_ dy: UnsafeMutablePointer<Float>, output y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { dy[i] *= 1 - y[i] * y[i] }
    }

    /// In place over one row of softmax probabilities p: dp becomes p ⊙ (dp − Σ dp·p).
    public static func softmaxBackward(_ dp: UnsafeMutablePointer<Float>, probabilities p: UnsafePointer<Float>, count: Int) {
        var dot: Float = 0
        for i in 0..<count { dot += dp[i] * p[i] }
        for i in 0..<count { dp[i] = p[i] * (dp[i] - dot) }
    }
}
