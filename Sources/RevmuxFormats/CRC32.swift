import CZlib

/// zlib's CRC-32 (the same as Python's `zlib.crc32`), continuing from `initial`.
public func crc32(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
    var crc = UInt(initial)
    var rest = bytes
    // zlib takes a 32-bit length; feed larger buffers in pieces.
    while !rest.isEmpty {
        let piece = min(rest.count, 1 << 30)
        crc = CZlib.crc32(crc, rest.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt32(piece))
        rest = UnsafeRawBufferPointer(rebasing: rest[piece...])
    }
    return UInt32(crc)
}
