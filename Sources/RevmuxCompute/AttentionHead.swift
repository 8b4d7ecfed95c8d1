/// One (sequence, head) of scaled dot-product attention over its `real` positions:
/// p = softmax(scale · q·kᵀ + bias), each query seeing every key, or with `causal` only the
/// keys up to its own position (zero above the diagonal); then out = p · v. Rows of q, k and v
/// are `ld` apart, rows of out `ldOut`; p is [real, real], and training keeps it. `bias`, when
/// given, points at the head's relative position bias for distance 0: query t adds
/// bias[s − t] to key s's score (T5's layout, see T5PositionBias).
public func attentionHead(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ld: Int,
                          real: Int, headSize d: Int, scale: Float, causal: Bool, bias: UnsafePointer<Float>? = nil,
                          probabilities p: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, ldOut: Int) {
    guard real > 0 else { return }
    sgemmABt(m: real, n: real, k: d, alpha: scale, q, lda: ld, k, ldb: ld, beta: 0, p, ldc: real)
    for t in 0..<real {
        let row = p + t * real, visible = causal ? t + 1 : real
        if let bias { addVector(row, bias - t, count: visible) }
        softmaxInPlace(row, count: visible)
        (row + visible).update(repeating: 0, count: real - visible)
    }
    sgemmAB(m: real, n: d, k: real, alpha: 1, p, lda: real, v, ldb: ld, beta: 0, out, ldc: ldOut)
}
