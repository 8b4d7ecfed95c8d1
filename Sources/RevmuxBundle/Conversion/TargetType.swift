import RevmuxTensors

/// What `convert --dtype` asks for.
///
/// `keep` copies every tensor's bytes as they are (quantised GGUF blocks included). The
/// others decode each float tensor and re-encode it: `f32` everything; `f16`, `bf16` and
/// `q8_0` only matrices (embeddings and linear weights), keeping vectors (norms, biases)
/// in f32 as llama.cpp does, since they are tiny and sensitive to rounding. Integer
/// tensors are always kept.
public enum TargetType: String, CaseIterable, Sendable {
    case keep, f32, f16, bf16, q8_0

    func storage(for tensor: TensorView) -> TensorType {
        let isFloat: Bool
        switch tensor.type {
        case .scalar(let dtype): isFloat = dtype.isFloatingPoint
        case .quantized: isFloat = true
        }
        guard self != .keep, isFloat else { return tensor.type }
        let isMatrix = tensor.shape.count >= 2
        switch self {
        case .keep: return tensor.type
        case .f32: return .scalar(.f32)
        case .f16: return isMatrix ? .scalar(.f16) : .scalar(.f32)
        case .bf16: return isMatrix ? .scalar(.bf16) : .scalar(.f32)
        case .q8_0:
            return isMatrix && (tensor.shape.last ?? 0) % QuantType.q8_0.blockSize == 0 ? .quantized(.q8_0) : .scalar(.f32)
        }
    }
}

/// Re-encodes f32 values, rounding as numpy, torch and the `gguf` package do.
enum Encode {
    static func f16(_ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableRawBufferPointer) {
        for (index, value) in values.enumerated() {
            output.storeBytes(of: Float16(value).bitPattern.littleEndian, toByteOffset: index * 2, as: UInt16.self)
        }
    }

    /// Round to nearest, ties to even, as torch's float → bfloat16; NaN stays a quiet NaN.
    static func bf16(_ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableRawBufferPointer) {
        for (index, value) in values.enumerated() {
            let bits = value.bitPattern
            let rounded = value.isNaN ? UInt16(0x7FC0) | UInt16(bits >> 16 & 0x8000)
                : UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ (bits >> 16 & 1)) >> 16)
            output.storeBytes(of: rounded.littleEndian, toByteOffset: index * 2, as: UInt16.self)
        }
    }

    /// Q8_0 exactly as `gguf.quants.quantize`: d = max|x| / 127 in f32, q = round half away
    /// from zero of x * (1 / d), d stored as f16.
    static func q8_0(_ values: UnsafeBufferPointer<Float>, into output: UnsafeMutableRawBufferPointer) {
        let block = QuantType.q8_0.blockSize
        for blockIndex in 0..<(values.count / block) {
            let start = blockIndex * block
            var maximum: Float = 0
            for value in values[start..<(start + block)] { maximum = max(maximum, abs(value)) }
            let d = maximum / 127
            let inverse: Float = d == 0 ? 0 : 1 / d
            let base = blockIndex * QuantType.q8_0.blockBytes
            output.storeBytes(of: Float16(d).bitPattern.littleEndian, toByteOffset: base, as: UInt16.self)
            for i in 0..<block {
                let scaled = values[start + i] * inverse
                let magnitude = abs(scaled)
                let floored = magnitude.rounded(.down)
                let rounded = floored + (2 * (magnitude - floored)).rounded(.down)
                let q = scaled < 0 ? -rounded : rounded
                output.storeBytes(of: Int8(q), toByteOffset: base + 2 + i, as: Int8.self)
            }
        }
    }
}
