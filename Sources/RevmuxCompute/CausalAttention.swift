/// One (sequence, head) of causal attention over its `real` positions: p = softmax of
/// scale · q·kᵀ with everything above the diagonal zero, then out = p · v. Rows of q, k and
/// v are `ld` apart, rows of out `ldOut`; p is [real, real], and training keeps it.
public func causalAttentionHead(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int,
                                real: Int, headSize d: Int, scale: Float, probabilities p: UnsafeMutablePointer<Float>,
                                out: UnsafeMutablePointer<Float>, ldOut: Int) {
    guard real > 0 else { return }
    sgemmABt(m: real, n: real, k: d, alpha: scale, q, lda: ld, k, ldb: ld, beta: 0, p, ldc: real)
    for t in 0..<real {
        let row = p + t * real
        softmaxInPlace(row, count: t + 1)
        (row + t + 1).update(repeating: 0, count: real - t - 1)
    }
    sgemmAB(m: real, n: d, k: real, alpha: 1, p, lda: real, v, ldb: ld, beta: 0, out, ldc: ldOut)
}
