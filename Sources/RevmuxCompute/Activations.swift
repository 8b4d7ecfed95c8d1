import Foundation

extension Compute {
    /// In place: max(x, 0) over the first `rows` rows.
    public func relu(_ x: Matrix, rows: Int? = nil) {
        let cols = x.cols
        forEachChunk(rows: rows ?? x.rows, minRows: 16) { range in
            reluInPlace(x.row(range.lowerBound), count: range.count * cols)
        }
    }

    /// tanh(x · Wᵀ + b) over the first `rows` rows, in a new matrix: BERT's pooler.
    public func denseTanh(_ x: Matrix, rows: Int, _ layer: Linear) -> Matrix {
        let out = Matrix(rows: rows, cols: layer.outFeatures)
        linear(x, rows: rows, layer, into: out)
        for i in 0..<out.count { out.base[i] = tanhf(out.base[i]) }
        return out
    }
}

@inline(__always)
public func reluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    let rx = UnsafeMutableRawPointer(x)
    var i = 0
    while i + 8 <= count {
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rx.storeBytes(of: v.replacing(with: 0, where: v .< 0), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { x[i] = max(x[i], 0); i += 1 }
}

/// x = SiLU(gate) · x elementwise (LLaMA's SwiGLU), SiLU(g) = g / (1 + e^-g).
@inline(__always)
public func swigluInPlace(_ x: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, count: Int) {
    let rx = UnsafeMutableRawPointer(x), rg = UnsafeRawPointer(gate)
    var i = 0
    #if !DEBUG
    while i + 8 <= count {
        let g = rg.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        let v = rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
        rx.storeBytes(of: v * g / (1 + simdExp(-g)), toByteOffset: i * 4, as: SIMD8<Float>.self)
        i += 8
    }
    #endif
    while i < count {
        let g = gate[i]
        x[i] *= g / (1 + expf(-g))
        i += 1
    }
}
