import COpenBLAS
import RevmuxCompute

/// Row-major C[m, n] = alpha · A[k, m]ᵀ · B[k, n] + beta · C: weight gradients (dyᵀ · x).
@inline(__always)
public func sgemmAtB(m: Int, n: Int, k: Int, alpha: Float, _ a: UnsafePointer<Float>, lda: Int,
              _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0, k > 0 else { return }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// The backward pass of `y = x · Wᵀ + b` over `rows` rows (strided by lda / ldy / ldx).
/// Adds dyᵀ · x to dW and the column sums of dy to db when given; writes dy · W into dx
/// (or adds it, with `accumulate`). With `compute`, dx is split by rows and dW by output
/// features across its threads (disjoint writes either way).
public func linearBackward(x: UnsafePointer<Float>, lda: Int, rows: Int, dy: UnsafePointer<Float>, ldy: Int,
                           weight: Matrix, dWeight: Matrix?, dBias: Matrix?,
                           dx: UnsafeMutablePointer<Float>?, ldx: Int, accumulate: Bool = false, compute: Compute? = nil) {
    let out = weight.rows, inFeatures = weight.cols
    let compute = compute ?? Compute(threads: 1)
    if let dWeight {
        let dW = dWeight.base
        compute.forEachChunk(rows: out, minRows: 32) { range in
            sgemmAtB(m: range.count, n: inFeatures, k: rows, alpha: 1, dy + range.lowerBound, lda: ldy, x, ldb: lda,
                     beta: 1, dW + range.lowerBound * inFeatures, ldc: inFeatures)
        }
    }
    if let dBias {
        for r in 0..<rows { addVector(dBias.base, dy + r * ldy, count: out) }
    }
    if let dx { inputGradient(dy: dy, ldy: ldy, rows: rows, weight: weight, dx: dx, ldx: ldx, accumulate: accumulate, compute: compute) }
}

/// dx = dy · W (or dx += dy · W with `accumulate`) over `rows` rows, split by rows across
/// `compute`'s threads: the only part of a frozen layer's backward that training needs.
public func inputGradient(dy: UnsafePointer<Float>, ldy: Int, rows: Int, weight: Matrix, dx: UnsafeMutablePointer<Float>,
                          ldx: Int, accumulate: Bool = false, compute: Compute) {
    let out = weight.rows, inFeatures = weight.cols
    let w = UnsafePointer(weight.base)
    compute.forEachChunk(rows: rows, minRows: 16) { range in
        let start = dx + range.lowerBound * ldx
        if !accumulate {
            for r in 0..<range.count { (start + r * ldx).update(repeating: 0, count: inFeatures) }
        }
        sgemmAB(m: range.count, n: inFeatures, k: out, alpha: 1, dy + range.lowerBound * ldy, lda: ldy, w,
                ldb: inFeatures, beta: 1, start, ldc: ldx)
    }
}

extension TrainableLinear {
    /// `linearBackward` into this layer's own gradients, on packed matrices.
    public func backward(x: Matrix, rows: Int, dy: Matrix, dx: Matrix?, accumulate: Bool = false, compute: Compute? = nil) {
        linearBackward(x: x.base, lda: x.cols, rows: rows, dy: dy.base, ldy: dy.cols, weight: weight.value,
                       dWeight: weight.grad, dBias: bias.grad, dx: dx?.base, ldx: dx?.cols ?? 0, accumulate: accumulate,
                       compute: compute)
    }
}
