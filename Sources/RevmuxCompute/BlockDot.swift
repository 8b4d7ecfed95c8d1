/// Dot products of f32 rows with Q4_1 / Q8_0 weight rows read straight from their blocks, for
/// when there are too few input rows for OpenBLAS to pay for dequantising a tile.
extension BlockRows {
    /// Whether `dot` reads this block type.
    public var hasDotKernel: Bool { quant == .q4_1 || quant == .q8_0 }
}

extension Compute {
    /// C[rows, out] = A[rows, in] · Wᵀ, one weight row at a time: each row's blocks are read
    /// once and dotted with every input row. The threads share out the weight rows.
    public func blockDotLinear(_ a: UnsafePointer<Float>, lda: Int, rows: Int, _ weight: BlockRows,
                               into c: UnsafeMutablePointer<Float>, ldc: Int) {
        precondition(weight.hasDotKernel, "no dot kernel for \(weight.quant.name)")
        let blocks = weight.cols / 32, rowBytes = weight.rowBytes, base = weight.tensor.data.baseAddress!
        let q4 = weight.quant == .q4_1
        forEachChunk(rows: weight.rows, minRows: 16) { range in
            for n in range {
                let w = base + n * rowBytes
                for r in 0..<rows {
                    c[r * ldc + n] = q4 ? dotQ4_1(w, a + r * lda, blocks: blocks) : dotQ8_0(w, a + r * lda, blocks: blocks)
                }
            }
        }
    }
}

@inline(__always)
private func half(_ block: UnsafeRawPointer, _ offset: Int) -> Float {
    Float(Float16(bitPattern: UInt16(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt16.self))))
}

@inline(__always)
private func load16(_ x: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(x).loadUnaligned(as: SIMD16<Float>.self)
}

/// Σ (d·q + m)·x over the blocks of one Q4_1 row (block: f16 d, f16 m, 16 bytes of nibbles).
@inline(__always)
func dotQ4_1(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    for b in 0..<blocks {
        let block = row + b * 20, xs = x + b * 32
        let qs = block.loadUnaligned(fromByteOffset: 4, as: SIMD16<UInt8>.self)
        let lo = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs & 0x0F))
        let hi = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs &>> 4))
        let xl = load16(xs), xh = load16(xs + 16)
        acc += half(block, 0) * (lo * xl + hi * xh) + half(block, 2) * (xl + xh)
    }
    return acc.sum()
}

/// Σ d·q·x over the blocks of one Q8_0 row (block: f16 d, 32 signed bytes).
@inline(__always)
func dotQ8_0(_ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, blocks: Int) -> Float {
    var acc = SIMD16<Float>(repeating: 0)
    for b in 0..<blocks {
        let block = row + b * 34, xs = x + b * 32
        let lo = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 2, as: SIMD16<Int8>.self)))
        let hi = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 18, as: SIMD16<Int8>.self)))
        acc += half(block, 0) * (lo * load16(xs) + hi * load16(xs + 16))
    }
    return acc.sum()
}
