/// A bounds-checked little-endian cursor over untrusted bytes.
///
/// Every read checks what remains before touching memory, so a parser built on it
/// cannot read past the end however the counts in a file are forged.
public struct ByteReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int

    public init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var remaining: Int { bytes.count - offset }

    /// Thrown when a read would pass the end; carries where and how much.
    public struct Truncated: Error, Sendable {
        public let offset: Int
        public let needed: Int
        public let available: Int
    }

    @inline(__always)
    private mutating func advance(by count: Int) throws(Truncated) -> Int {
        guard count >= 0, count <= remaining else {
            throw Truncated(offset: offset, needed: count, available: remaining)
        }
        let start = offset
        offset += count
        return start
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type) throws(Truncated) -> T {
        let start = try advance(by: MemoryLayout<T>.size)
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: T.self))
    }

    public mutating func readFloat32() throws(Truncated) -> Float {
        Float(bitPattern: try read(UInt32.self))
    }

    public mutating func readFloat64() throws(Truncated) -> Double {
        Double(bitPattern: try read(UInt64.self))
    }

    /// The next `count` bytes, as a view into the same memory.
    public mutating func readBytes(_ count: Int) throws(Truncated) -> UnsafeRawBufferPointer {
        let start = try advance(by: count)
        return UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)])
    }

    public mutating func skip(_ count: Int) throws(Truncated) {
        _ = try advance(by: count)
    }
}
