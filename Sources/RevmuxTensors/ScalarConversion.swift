/// Vectorised decoding of scalar dtypes to f32.
///
/// f16, bf16 and the f8 formats convert exactly; f64 and 64-bit integers round to
/// nearest, as a float32 cast in numpy or torch does.
enum ScalarConversion {
    static func convert(
        _ dtype: DType, _ data: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>
    ) throws(ConversionError) {
        switch dtype {
        case .f32:
            // Copy through bytes: the source may be unaligned in a GGUF or safetensors file.
            UnsafeMutableRawBufferPointer(output).copyMemory(from: data)
        case .f16: half(data, output)
        case .bf16: bfloat(data, output)
        case .f64: map(data, output, Double.self) { Float($0) }
        case .f8E4M3: table(data, output, float8E4M3Table)
        case .f8E5M2: table(data, output, float8E5M2Table)
        case .bool, .u8: map(data, output, UInt8.self) { Float($0) }
        case .i8: map(data, output, Int8.self) { Float($0) }
        case .u16: map(data, output, UInt16.self) { Float($0) }
        case .i16: map(data, output, Int16.self) { Float($0) }
        case .u32: map(data, output, UInt32.self) { Float($0) }
        case .i32: map(data, output, Int32.self) { Float($0) }
        case .u64: map(data, output, UInt64.self) { Float($0) }
        case .i64: map(data, output, Int64.self) { Float($0) }
        }
    }

    @inline(__always)
    private static func map<T: FixedWidthInteger>(
        _ data: UnsafeRawBufferPointer, _ output: UnsafeMutableBufferPointer<Float>, _: T.Type,
        _ transform: (T) -> Float
    ) {
        for i in 0..<output.count {
            output[i] = transform(T(littleEndian: data.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)))
        }
    }

    @inline(__always)
    private static func map(
        _ data: UnsafeRawBufferPointer, _ output: UnsafeMutableBufferPointer<Float>, _: Double.Type,
        _ transform: (Double) -> Float
    ) {
        for i in 0..<output.count {
            let bits = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            output[i] = transform(Double(bitPattern: bits))
        }
    }

    /// f16 → f32 eight lanes at a time; the hardware conversion (F16C) is exact.
    private static func half(_ data: UnsafeRawBufferPointer, _ output: UnsafeMutableBufferPointer<Float>) {
        let count = output.count
        var i = 0
        while i + 8 <= count {
            let bits = data.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)
            let halves = unsafeBitCast(bits, to: SIMD8<Float16>.self)
            let floats = SIMD8<Float>(halves)
            UnsafeMutableRawPointer(output.baseAddress! + i).storeBytes(of: floats, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let bits = data.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
            output[i] = Float(Float16(bitPattern: UInt16(littleEndian: bits)))
            i += 1
        }
    }

    /// bf16 is the top half of an f32: widen and shift.
    private static func bfloat(_ data: UnsafeRawBufferPointer, _ output: UnsafeMutableBufferPointer<Float>) {
        let count = output.count
        var i = 0
        while i + 8 <= count {
            let bits = SIMD8<UInt32>(truncatingIfNeeded: data.loadUnaligned(fromByteOffset: i * 2, as: SIMD8<UInt16>.self)) &<< 16
            UnsafeMutableRawPointer(output.baseAddress! + i).storeBytes(of: bits, as: SIMD8<UInt32>.self)
            i += 8
        }
        while i < count {
            let bits = UInt32(UInt16(littleEndian: data.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))) << 16
            output[i] = Float(bitPattern: bits)
            i += 1
        }
    }

    private static func table(_ data: UnsafeRawBufferPointer, _ output: UnsafeMutableBufferPointer<Float>, _ lookup: [Float]) {
        lookup.withUnsafeBufferPointer { lookup in
            for i in 0..<output.count {
                output[i] = lookup[Int(data[i])]
            }
        }
    }

    /// F8 E4M3 "FN" (as torch.float8_e4m3fn): bias 7, no infinities, S.1111.111 is NaN.
    static let float8E4M3Table: [Float] = (0..<256).map { code in
        decodeFloat8(UInt8(code), exponentBits: 4, mantissaBits: 3, bias: 7, hasInfinity: false)
    }

    /// F8 E5M2 (as torch.float8_e5m2): bias 15, IEEE-style infinities and NaNs.
    static let float8E5M2Table: [Float] = (0..<256).map { code in
        decodeFloat8(UInt8(code), exponentBits: 5, mantissaBits: 2, bias: 15, hasInfinity: true)
    }

    private static func decodeFloat8(_ code: UInt8, exponentBits: Int, mantissaBits: Int, bias: Int, hasInfinity: Bool) -> Float {
        let sign: Float = code & 0x80 != 0 ? -1 : 1
        let exponentMask = (1 << exponentBits) - 1
        let exponent = (Int(code) >> mantissaBits) & exponentMask
        let mantissa = Int(code) & ((1 << mantissaBits) - 1)
        if hasInfinity, exponent == exponentMask {
            return mantissa == 0 ? sign * .infinity : .nan
        }
        if !hasInfinity, exponent == exponentMask, mantissa == (1 << mantissaBits) - 1 {
            return .nan
        }
        let fraction = Float(mantissa) / Float(1 << mantissaBits)
        if exponent == 0 {
            return sign * fraction * Float(sign: .plus, exponent: 1 - bias, significand: 1)
        }
        return sign * (1 + fraction) * Float(sign: .plus, exponent: exponent - bias, significand: 1)
    }
}
