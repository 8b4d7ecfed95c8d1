import RevmuxCompute

/// The backward pass of one (sequence, head) of attention, p = softmax(scale·q·kᵀ + bias),
/// out = p·v, over `queries` query rows and `keys` key rows, from the kept p [queries, keys]
/// and d(out): adds dV += pᵀ·dOut, dQ += scale·dS·k and dK += scale·dSᵀ·q, where
/// dS = softmax'(dOut·vᵀ). A position bias is a constant (no weight is trained) and a causal
/// mask left zeros in p, which make softmax' zero there: neither needs anything here.
/// `dP` is scratch for queries·keys values.
func attentionHeadBackward(q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, ldkv: Int,
                           queries m: Int, keys n: Int, headSize d: Int, scale: Float, probabilities p: UnsafePointer<Float>,
                           dOut: UnsafePointer<Float>, ldOut: Int, dQ: UnsafeMutablePointer<Float>, ldDQ: Int,
                           dK: UnsafeMutablePointer<Float>, dV: UnsafeMutablePointer<Float>, ldDKV: Int,
                           scratch dP: UnsafeMutablePointer<Float>) {
    guard m > 0, n > 0 else { return }
    sgemmABt(m: m, n: n, k: d, alpha: 1, dOut, lda: ldOut, v, ldb: ldkv, beta: 0, dP, ldc: n)
    sgemmAtB(m: n, n: d, k: m, alpha: 1, p, lda: n, dOut, ldb: ldOut, beta: 1, dV, ldc: ldDKV)
    for t in 0..<m { Pointwise.softmaxBackward(dP + t * n, probabilities: p + t * n, count: n) }
    sgemmAB(m: m, n: d, k: n, alpha: scale, dP, lda: n, k, ldb: ldkv, beta: 1, dQ, ldc: ldDQ)
    sgemmAtB(m: n, n: d, k: m, alpha: scale, dP, lda: n, q, ldb: ldq, beta: 1, dK, ldc: ldDKV)
}
