/// The 256-element super-block types Q2_K ... Q6_K (`block_q2_K` ... `block_q6_K` in
/// ggml-common.h). Each super-block carries an f16 `d` (and `dmin`) and per-sub-block
/// integer scales, combined once per super-block into float32 `d * sc` as gguf-py does.
///
/// The loops walk the output 16 elements at a time; `j` is the 128-element half,
/// `s` the 32-element group within it and `h` the 16-element half of that group, so
/// the 16-element sub-block index is `j * 8 + s * 2 + h`.
enum KQuants {
    private typealias L = QuantLanes

    /// `(d * sc) * q - dmin * m` with 4-bit `sc`, `m` and 2-bit quants.
    static func q2_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 84, o = out + b * 256
            let scales = L.bytes(block, 0)
            let dl = L.half(block, 80) * L.floats(scales & 0x0F)
            let ml = L.half(block, 82) * L.floats(scales &>> 4)
            for j in 0..<2 {
                for s in 0..<4 {
                    for h in 0..<2 {
                        let q = (L.bytes(block, 16 + j * 32 + h * 16) &>> UInt8(2 * s)) & 3
                        let sub = j * 8 + s * 2 + h
                        let v = SIMD16<Float>(repeating: dl[sub]) * L.floats(q) - SIMD16<Float>(repeating: ml[sub])
                        L.store(v, o + sub * 16)
                    }
                }
            }
        }
    }

    /// Scale bits for Q3_K: sub-block `i` takes its high two bits from byte `8 + i % 4`
    /// at bit `2 * (i / 4)`; as shifts of those four bytes read as one little-endian word.
    private static let q3HighShifts = SIMD16<UInt32>(0, 8, 16, 24, 2, 10, 18, 26, 4, 12, 20, 28, 6, 14, 22, 30)

    /// `(d * (sc - 32)) * q` with 6-bit `sc` and quants in -4...3. A clear `hmask` bit
    /// subtracts 4, a set one does not.
    static func q3_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 110, o = out + b * 256
            let low = block.loadUnaligned(fromByteOffset: 96, as: SIMD8<UInt8>.self)
            let high = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 104, as: UInt32.self))
            let sc = SIMD16<Int32>(truncatingIfNeeded: SIMD16(lowHalf: low & 0x0F, highHalf: low &>> 4))
                | SIMD16<Int32>(truncatingIfNeeded: (SIMD16<UInt32>(repeating: high) &>> q3HighShifts) & 3) &<< 4
            let dl = L.half(block, 108) * SIMD16<Float>(sc &- 32)
            for j in 0..<2 {
                for s in 0..<4 {
                    for h in 0..<2 {
                        let low2 = (L.bytes(block, 32 + j * 32 + h * 16) &>> UInt8(2 * s)) & 3
                        let hbit = (L.bytes(block, h * 16) &>> UInt8(j * 4 + s)) & 1
                        let sub = j * 8 + s * 2 + h
                        L.store(SIMD16<Float>(repeating: dl[sub]) * (L.floats(low2 | hbit &<< 2) - 4), o + sub * 16)
                    }
                }
            }
        }
    }

    /// The eight 6-bit scales and mins packed into 12 bytes, shared by Q4_K and Q5_K.
    @inline(__always)
    private static func scalesAndMins(_ p: UnsafeRawPointer) -> (SIMD8<Float>, SIMD8<Float>) {
        var sc = SIMD8<Float>(), mn = SIMD8<Float>()
        for j in 0..<4 {
            let a = p.load(fromByteOffset: j, as: UInt8.self)
            let m = p.load(fromByteOffset: j + 4, as: UInt8.self)
            let c = p.load(fromByteOffset: j + 8, as: UInt8.self)
            sc[j] = Float(a & 0x3F)
            mn[j] = Float(m & 0x3F)
            sc[j + 4] = Float(c & 0x0F | (a &>> 6) &<< 4)
            mn[j + 4] = Float(c &>> 4 | (m &>> 6) &<< 4)
        }
        return (sc, mn)
    }

    /// `(d * sc) * q - dmin * m` with 4-bit quants in 32-element sub-blocks.
    static func q4_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 144, o = out + b * 256
            let (sc, mn) = scalesAndMins(block + 4)
            let dl = L.half(block, 0) * sc, ml = L.half(block, 2) * mn
            for c in 0..<4 {
                for h in 0..<2 {
                    let qs = L.bytes(block, 16 + c * 32 + h * 16)
                    let lo = SIMD16<Float>(repeating: dl[2 * c]), loMin = SIMD16<Float>(repeating: ml[2 * c])
                    let hi = SIMD16<Float>(repeating: dl[2 * c + 1]), hiMin = SIMD16<Float>(repeating: ml[2 * c + 1])
                    L.store(lo * L.floats(qs & 0x0F) - loMin, o + c * 64 + h * 16)
                    L.store(hi * L.floats(qs &>> 4) - hiMin, o + c * 64 + 32 + h * 16)
                }
            }
        }
    }

    /// As Q4_K, with bit 4 of sub-block `j`'s element `l` in bit `j` of `qh[l]`.
    static func q5_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 176, o = out + b * 256
            let (sc, mn) = scalesAndMins(block + 4)
            let dl = L.half(block, 0) * sc, ml = L.half(block, 2) * mn
            for c in 0..<4 {
                for h in 0..<2 {
                    let qs = L.bytes(block, 48 + c * 32 + h * 16)
                    let qh = L.bytes(block, 16 + h * 16)
                    let q0 = qs & 0x0F | ((qh &>> UInt8(2 * c)) & 1) &<< 4
                    let q1 = qs &>> 4 | ((qh &>> UInt8(2 * c + 1)) & 1) &<< 4
                    let lo = SIMD16<Float>(repeating: dl[2 * c]), loMin = SIMD16<Float>(repeating: ml[2 * c])
                    let hi = SIMD16<Float>(repeating: dl[2 * c + 1]), hiMin = SIMD16<Float>(repeating: ml[2 * c + 1])
                    L.store(lo * L.floats(q0) - loMin, o + c * 64 + h * 16)
                    L.store(hi * L.floats(q1) - hiMin, o + c * 64 + 32 + h * 16)
                }
            }
        }
    }

    /// `(d * sc) * (q - 32)` with signed 8-bit `sc` and 6-bit quants: the low nibble of
    /// element `j * 128 + s * 32 + l` is in `ql[j * 64 + (s % 2) * 32 + l]` (high nibble
    /// when `s >= 2`), its top two bits in `qh[j * 32 + l]` at bit `2 * s`.
    static func q6_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count {
            let block = source + b * 210, o = out + b * 256
            let dl = L.half(block, 208) * L.floats(block.loadUnaligned(fromByteOffset: 192, as: SIMD16<Int8>.self))
            for j in 0..<2 {
                for s in 0..<4 {
                    for h in 0..<2 {
                        let nibble = (L.bytes(block, j * 64 + (s & 1) * 32 + h * 16) &>> UInt8((s >> 1) * 4)) & 0x0F
                        let top = (L.bytes(block, 128 + j * 32 + h * 16) &>> UInt8(2 * s)) & 3
                        let sub = j * 8 + s * 2 + h
                        L.store(SIMD16<Float>(repeating: dl[sub]) * (L.floats(nibble | top &<< 4) - 32), o + sub * 16)
                    }
                }
            }
        }
    }
}
