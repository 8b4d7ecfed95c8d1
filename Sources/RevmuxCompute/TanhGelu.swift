import Foundation

/// GELU's tanh approximation, x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))), in place: what
/// transformers calls gelu_new and runs in T5 v1.1 / Flan-T5's "gated-gelu" feed-forward.
/// tanh(y) = 1 - 2 / (1 + e^(2y)) over `simdExp` in optimised builds, Glibc's tanhf otherwise.
@inline(__always)
public func geluTanhInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let scale: Float = 0.79788456080286535588  // √(2/π)
    let rx = UnsafeMutableRawPointer(x)
    var i = 0
    #if !DEBUG
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let y = scale * (v + 0.044715 * v * v * v)
        let tanh = 1 - 2 / (1 + simdExp(2 * y))
        rx.storeBytes(of: 0.5 * v * (1 + tanh), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    #endif
    while i < count {
        let v = x[i]
        x[i] = 0.5 * v * (1 + tanhf(scale * (v + 0.044715 * v * v * v)))
        i += 1
    }
}

/// x *= y elementwise: the product of a gated feed-forward's activated and linear halves.
@inline(__always)
public func multiplyVector(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
    let rx = UnsafeMutableRawPointer(x), ry = UnsafeRawPointer(y)
    var i = 0
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            * ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rx.storeBytes(of: v, toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { x[i] *= y[i]; i += 1 }
}
