/// The 32-element block types Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (`block_q4_0` ... `block_q8_0`
/// in ggml-common.h). Element `i < 16` lives in the low nibble of `qs[i]`, element `i + 16`
/// in its high nibble; the 5-bit types keep bit 4 of element `i` in bit `i` of `qh`.
enum LegacyQuants {
    private typealias L = QuantLanes

    /// Bit `i` of a 16-bit field selects lane `i`.
    private static let laneBits = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    /// Bit 4 of each element of one half-block, from 16 bits of `qh`, as 0 or 16.
    @inline(__always)
    private static func fifthBits(_ qh: UInt32) -> SIMD16<UInt8> {
        SIMD16<UInt8>(truncatingIfNeeded: ((SIMD16<UInt32>(repeating: qh) &>> laneBits) & 1) &<< 4)
    }

    /// `d * (q - 8)`.
    static func q4_0(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 18, o = out + b * 32
            let d = SIMD16<Float>(repeating: L.half(block, 0))
            let qs = L.bytes(block, 2)
            L.store(d * (L.floats(qs & 0x0F) - 8), o)
            L.store(d * (L.floats(qs &>> 4) - 8), o + 16)
        }
    }

    /// `d * q + m`.
    static func q4_1(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 20, o = out + b * 32
            let d = SIMD16<Float>(repeating: L.half(block, 0))
            let m = SIMD16<Float>(repeating: L.half(block, 2))
            let qs = L.bytes(block, 4)
            L.store(d * L.floats(qs & 0x0F) + m, o)
            L.store(d * L.floats(qs &>> 4) + m, o + 16)
        }
    }

    /// `d * (q - 16)`.
    static func q5_0(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 22, o = out + b * 32
            let d = SIMD16<Float>(repeating: L.half(block, 0))
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
            let qs = L.bytes(block, 6)
            L.store(d * (L.floats(qs & 0x0F | fifthBits(qh)) - 16), o)
            L.store(d * (L.floats(qs &>> 4 | fifthBits(qh &>> 16)) - 16), o + 16)
        }
    }

    /// `d * q + m`.
    static func q5_1(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 24, o = out + b * 32
            let d = SIMD16<Float>(repeating: L.half(block, 0))
            let m = SIMD16<Float>(repeating: L.half(block, 2))
            let qh = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let qs = L.bytes(block, 8)
            L.store(d * L.floats(qs & 0x0F | fifthBits(qh)) + m, o)
            L.store(d * L.floats(qs &>> 4 | fifthBits(qh &>> 16)) + m, o + 16)
        }
    }

    /// `q * d` over signed bytes.
    static func q8_0(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 34, o = out + b * 32
            let d = SIMD16<Float>(repeating: L.half(block, 0))
            let lo = block.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)
            let hi = block.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)
            L.store(L.floats(lo) * d, o)
            L.store(L.floats(hi) * d, o + 16)
        }
    }
}
