import Foundation

/// How the two halves of each rotary pair sit in a head's vector.
public enum RopeLayout: String, Sendable {
    /// Element i pairs with i + d/2 (Hugging Face's rotate_half).
    case halves
    /// Element 2i pairs with 2i + 1 (GPT-J, and llama.cpp's GGUF Q/K rows).
    case interleaved
}

/// cos and sin of position · θ^(-2i/d) for positions 0..<length, one row per position.
/// Computed in f32 the way transformers' LlamaRotaryEmbedding does, so the angles match.
public final class RotaryTable: @unchecked Sendable {
    // Sendable: written only in init.
    public let length: Int
    public let pairs: Int
    let cos: Matrix, sin: Matrix

    public init(length: Int, headSize: Int, theta: Float) {
        self.length = length
        pairs = headSize / 2
        cos = Matrix(rows: length, cols: pairs)
        sin = Matrix(rows: length, cols: pairs)
        for i in 0..<pairs {
            let inverse: Float = 1 / powf(theta, Float(2 * i) / Float(headSize))
            for t in 0..<length {
                let angle = Float(t) * inverse
                cos[t, i] = cosf(angle)
                sin[t, i] = sinf(angle)
            }
        }
    }

    /// Rotates one head vector `x` (2·pairs floats) at `position` in place.
    @inline(__always)
    public func apply(_ x: UnsafeMutablePointer<Float>, position: Int, layout: RopeLayout) {
        rotate(x, position: position, layout: layout, sign: 1)
    }

    /// The transpose of `apply` (the rotation by −angle): carries a gradient back through it.
    @inline(__always)
    public func applyTransposed(_ x: UnsafeMutablePointer<Float>, position: Int, layout: RopeLayout) {
        rotate(x, position: position, layout: layout, sign: -1)
    }

    @inline(__always)
    private func rotate(_ x: UnsafeMutablePointer<Float>, position: Int, layout: RopeLayout, sign: Float) {
        let c = cos.row(position), s = sin.row(position)
        switch layout {
        case .halves:
            let y = x + pairs
            for i in 0..<pairs {
                let a = x[i], b = y[i], si = sign * s[i]
                x[i] = a * c[i] - b * si
                y[i] = b * c[i] + a * si
            }
        case .interleaved:
            for i in 0..<pairs {
                let a = x[2 * i], b = x[2 * i + 1], si = sign * s[i]
                x[2 * i] = a * c[i] - b * si
                x[2 * i + 1] = b * c[i] + a * si
            }
        }
    }
}
