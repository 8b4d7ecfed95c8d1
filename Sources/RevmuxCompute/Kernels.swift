import COpenBLAS
import Dispatch
import Foundation

/// CPU kernels with a fixed thread count. Work is split by rows with
/// `DispatchQueue.concurrentPerform`; OpenBLAS itself runs single-threaded inside each
/// chunk so the two thread pools never nest.
public struct Compute: Sendable {
    public let threads: Int

    public init(threads: Int = 1) {
        self.threads = max(1, threads)
        openblas_set_num_threads(1)
    }

    /// Calls `body` on contiguous row ranges covering `0..<rows`, in parallel when there are
    /// enough rows (`minRows` per chunk at least).
    public func forEachChunk(rows: Int, minRows: Int = 1, _ body: (Range<Int>) -> Void) {
        guard rows > 0 else { return }
        let chunks = min(threads, max(1, rows / max(1, minRows)))
        if chunks == 1 {
            body(0..<rows)
            return
        }
        // The chunks are disjoint row ranges; callers write only their own rows.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let start = rows * chunk / chunks
            let end = rows * (chunk + 1) / chunks
            if start < end { body(start..<end) }
        }
    }

    /// C[rows, out] = A[rows, in] · Wᵀ + bias, with leading dimensions (row strides) given.
    public func linear(_ a: UnsafePointer<Float>, lda: Int, rows: Int, _ layer: Linear,
                       into c: UnsafeMutablePointer<Float>, ldc: Int) {
        let n = layer.outFeatures, k = layer.inFeatures
        let weight = UnsafePointer(layer.weight.base)
        let bias = layer.bias.map { UnsafePointer($0.base) }
        forEachChunk(rows: rows, minRows: 8) { range in
            sgemmABt(m: range.count, n: n, k: k, alpha: 1, a + range.lowerBound * lda, lda: lda,
                     weight, ldb: k, beta: 0, c + range.lowerBound * ldc, ldc: ldc)
            if let bias {
                for r in range { addVector(c + r * ldc, bias, count: n) }
            }
        }
    }

    /// `y = x · Wᵀ + b` over the first `rows` rows (all of x by default).
    public func linear(_ x: Matrix, rows: Int? = nil, _ layer: Linear, into y: Matrix) {
        let rows = rows ?? x.rows
        precondition(x.cols == layer.inFeatures && y.cols == layer.outFeatures && rows <= x.rows && rows <= y.rows)
        linear(x.base, lda: x.cols, rows: rows, layer, into: y.base, ldc: y.cols)
    }

    /// In place over `rows` rows of `x`: x = LayerNorm(x [+ residual]) · gamma + beta.
    public func layerNorm(_ x: Matrix, rows: Int? = nil, adding residual: Matrix? = nil,
                          gamma: Matrix, beta: Matrix, eps: Float) {
        let cols = x.cols
        precondition(gamma.count == cols && beta.count == cols)
        let g = UnsafePointer(gamma.base), b = UnsafePointer(beta.base)
        let res = residual.map { UnsafePointer($0.base) }
        forEachChunk(rows: rows ?? x.rows, minRows: 16) { range in
            for r in range {
                let row = x.row(r)
                if let res { addVector(row, res + r * cols, count: cols) }
                layerNormRow(row, count: cols, gamma: g, beta: b, eps: eps)
            }
        }
    }

    /// In place: the exact (erf) GELU of the first `rows` rows.
    public func gelu(_ x: Matrix, rows: Int? = nil) {
        let cols = x.cols
        forEachChunk(rows: rows ?? x.rows, minRows: 16) { range in
            geluInPlace(x.row(range.lowerBound), count: range.count * cols)
        }
    }
}

/// Row-major C[m, n] = alpha · A[m, k] · B[n, k]ᵀ + beta · C.
@inline(__always)
public func sgemmABt(m: Int, n: Int, k: Int, alpha: Float, _ a: UnsafePointer<Float>, lda: Int,
                     _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// Row-major C[m, n] = alpha · A[m, k] · B[k, n] + beta · C.
@inline(__always)
public func sgemmAB(m: Int, n: Int, k: Int, alpha: Float, _ a: UnsafePointer<Float>, lda: Int,
                    _ b: UnsafePointer<Float>, ldb: Int, beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0 else { return }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(m), blasint(n), blasint(k), alpha,
                a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
}

/// x += y, elementwise.
@inline(__always)
public func addVector(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    var i = 0
    let rx = UnsafeMutableRawPointer(x), ry = UnsafeRawPointer(y)
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            + ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rx.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { x[i] += y[i]; i += 1 }
}

/// One row of LayerNorm, two passes (mean, then centred variance) as PyTorch does.
@inline(__always)
public func layerNormRow(_ x: UnsafeMutablePointer<Float>, count: Int, gamma: UnsafePointer<Float>,
                         beta: UnsafePointer<Float>, eps: Float) {
    let rx = UnsafeMutableRawPointer(x)
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= count { acc += rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self); i += 8 }
    var sum = acc.sum()
    while i < count { sum += x[i]; i += 1 }
    let mean = sum / Float(count)
    let meanV = SIMD8<Float>(repeating: mean)
    acc = .zero
    i = 0
    while i + 8 <= count {
        let d = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - meanV
        acc += d * d
        i += 8
    }
    var sq = acc.sum()
    while i < count { let d = x[i] - mean; sq += d * d; i += 1 }
    let inv = 1 / (sq / Float(count) + eps).squareRoot()
    let invV = SIMD8<Float>(repeating: inv)
    let rg = UnsafeRawPointer(gamma), rb = UnsafeRawPointer(beta)
    i = 0
    while i + 8 <= count {
        let v = (rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - meanV) * invV
            * rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            + rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rx.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { x[i] = (x[i] - mean) * inv * gamma[i] + beta[i]; i += 1 }
}

/// GELU(x) = x/2 · (1 + erf(x/√2)), in place; eight lanes at a time with `simdErf`
/// in optimised builds, Glibc's erff otherwise and for the tail.
@inline(__always)
public func geluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let scale: Float = 0.70710678118654752440
    let rx = UnsafeMutableRawPointer(x)
    var i = 0
    #if !DEBUG  // unoptimised SIMD8 code is ~10x slower than Glibc's scalar erff
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rx.storeBytes(of: 0.5 * v * (1 + simdErf(v * scale)), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    #endif
    while i < count {
        let v = x[i]
        x[i] = 0.5 * v * (1 + erff(v * scale))
        i += 1
    }
}

/// e^x per lane (Cephes expf: range reduction by ln 2, degree-5 polynomial), relative error
/// about 2e-7; inputs below -87.3 give about 1e-38, not 0.
@inline(__always)
public func simdExp(_ input: SIMD8<Float>) -> SIMD8<Float> {
    // replacing(with:where:) compiles to blends; pointwiseMin/Max stay generic calls (slow).
    let high = SIMD8<Float>(repeating: 88.3), low = SIMD8<Float>(repeating: -87.3)
    let x = input.replacing(with: high, where: input .> high).replacing(with: low, where: input .< low)
    // Round to nearest by the 1.5·2^23 trick: the sum's low mantissa bits hold n.
    let shifted = x * 1.44269504088896341 + 12582912
    let n = shifted - 12582912
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p = SIMD8<Float>(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    let y = p * (r * r) + r + 1
    let bits = (unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
    return y * unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// erf per lane (Abramowitz & Stegun 7.1.26), absolute error below 1.5e-7.
@inline(__always)
public func simdErf(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let sign = unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x8000_0000
    let a = unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) ^ sign, to: SIMD8<Float>.self)
    let one = SIMD8<Float>(repeating: 1)
    let t = one / (one + 0.3275911 * a)
    var p = SIMD8<Float>(repeating: 1.061405429)
    p = p * t - 1.453152027
    p = p * t + 1.421413741
    p = p * t - 0.284496736
    p = p * t + 0.254829592
    let y = one - p * t * simdExp(-(a * a))
    return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
}

/// Numerically stable softmax of `count` values, in place.
@inline(__always)
public func softmaxInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    guard count > 0 else { return }
    let rx = UnsafeMutableRawPointer(x)
    var peaks = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        peaks = peaks.replacing(with: v, where: v .> peaks)
        i += 8
    }
    var peak = peaks.max()
    while i < count { peak = max(peak, x[i]); i += 1 }
    let peakV = SIMD8<Float>(repeating: peak)
    var sumV = SIMD8<Float>(repeating: 0)
    i = 0
    #if !DEBUG  // as in geluInPlace: only optimised builds gain from the vector exp
    while i + 8 <= count {
        let e = simdExp(rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) - peakV)
        rx.storeBytes(of: e, toByteOffset: i * 4, as: SIMD8<Float>.self)
        sumV += e
        i += 8
    }
    #endif
    var sum = sumV.sum()
    while i < count {
        let e = expf(x[i] - peak)
        x[i] = e
        sum += e
        i += 1
    }
    let inv = 1 / sum
    i = 0
    let invV = SIMD8<Float>(repeating: inv)
    while i + 8 <= count {
        rx.storeBytes(of: rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) * invV,
                      toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { x[i] *= inv; i += 1 }
}
