/// RMSNorm as LLaMA and T5 use it (T5 calls it LayerNorm): no mean, no bias.
extension Compute {
    /// In place over `rows` rows of `x`: x = x / sqrt(mean(x²) + eps) · gamma.
    public func rmsNorm(_ x: Matrix, rows: Int? = nil, gamma: Matrix, eps: Float) {
        let cols = x.cols
        precondition(gamma.count == cols)
        let g = UnsafePointer(gamma.base)
        forEachChunk(rows: rows ?? x.rows, minRows: 16) { range in
            for r in range { rmsNormRow(x.row(r), count: cols, gamma: g, eps: eps) }
        }
    }

    /// `out = RMSNorm(x) · gamma` row by row, leaving `x` (the residual stream) unchanged.
    public func rmsNorm(_ x: Matrix, into out: Matrix, rows: Int? = nil, gamma: Matrix, eps: Float) {
        precondition(out.cols == x.cols && gamma.count == x.cols)
        let cols = x.cols
        let g = UnsafePointer(gamma.base)
        forEachChunk(rows: rows ?? x.rows, minRows: 16) { range in
            for r in range {
                out.row(r).update(from: x.row(r), count: cols)
                rmsNormRow(out.row(r), count: cols, gamma: g, eps: eps)
            }
        }
    }
}

/// One row of RMSNorm; the sum of squares accumulates in f32 lanes as PyTorch's f32 path does.
@inline(__always)
public func rmsNormRow(_ x: UnsafeMutablePointer<Float>, count: Int, gamma: UnsafePointer<Float>, eps: Float) {
    let rx = UnsafeMutableRawPointer(x), rg = UnsafeRawPointer(gamma)
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        acc += v * v
        i += 8
    }
    var sq = acc.sum()
    while i < count { sq += x[i] * x[i]; i += 1 }
    let inv = 1 / (sq / Float(count) + eps).squareRoot()
    let invV = SIMD8<Float>(repeating: inv)
    i = 0
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * invV
            * rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rx.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { x[i] = x[i] * inv * gamma[i]; i += 1 }
}
