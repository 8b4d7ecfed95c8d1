/// Dequantisation of GGML block types to f32.
///
/// Block layouts are the `block_q*` structs of ggml's ggml-common.h (packed, little-endian,
/// f16 scales). Every kernel reproduces `gguf.quants.dequantize` from gguf-py bit for bit.
/// That holds because each product of an f16 scale and the small integers of these types
/// (`d * sc * q` needs at most 24 significant bits) is exact in float32, so the only
/// rounding is the final `+ m` or `- dmin * m`, done last as in numpy. What does need care
/// is the sign of zero: offsets are subtracted from the integer quant before multiplying,
/// `d * (q - 8)` and not `d * q - 8 * d`, so a negative scale times a zero quant gives -0.
extension QuantType {
    /// Whether `dequantize` decodes this type.
    public var canDequantize: Bool {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: true
        default: false
        }
    }

    /// Decodes whole blocks to f32, bit for bit as `gguf.quants.dequantize` does.
    /// `blocks.count` must be `output.count / blockSize * blockBytes`; `blocks` need not be aligned.
    public func dequantize(blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(canDequantize && output.count % blockSize == 0 && blocks.count == output.count / blockSize * blockBytes)
        guard let source = blocks.baseAddress, let destination = output.baseAddress else { return }
        let count = output.count / blockSize
        switch self {
        case .q4_0: LegacyQuants.q4_0(source, destination, count)
        case .q4_1: LegacyQuants.q4_1(source, destination, count)
        case .q5_0: LegacyQuants.q5_0(source, destination, count)
        case .q5_1: LegacyQuants.q5_1(source, destination, count)
        case .q8_0: LegacyQuants.q8_0(source, destination, count)
        case .q2_K: KQuants.q2_K(source, destination, count)
        case .q3_K: KQuants.q3_K(source, destination, count)
        case .q4_K: KQuants.q4_K(source, destination, count)
        case .q5_K: KQuants.q5_K(source, destination, count)
        case .q6_K: KQuants.q6_K(source, destination, count)
        default: preconditionFailure("no kernel for \(name)")
        }
    }
}

/// Building blocks shared by the kernels.
enum QuantLanes {
    /// The f16 at `offset`, widened exactly, as numpy's `view(np.float16).astype(np.float32)`.
    @inline(__always)
    static func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
        Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
    }

    @inline(__always)
    static func bytes(_ block: UnsafeRawPointer, _ offset: Int) -> SIMD16<UInt8> {
        block.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
    }

    @inline(__always)
    static func floats(_ v: SIMD16<UInt8>) -> SIMD16<Float> {
        SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v))
    }

    @inline(__always)
    static func floats(_ v: SIMD16<Int8>) -> SIMD16<Float> {
        SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: v))
    }

    @inline(__always)
    static func store(_ v: SIMD16<Float>, _ out: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(out).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
