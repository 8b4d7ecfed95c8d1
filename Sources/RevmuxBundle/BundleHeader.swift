import RevmuxFormats
import RevmuxTensors

/// The fixed 64-byte header of a `.revmux` bundle (schemas/bundle.md).
public struct BundleHeader: Equatable, Sendable {
    public static let size = 64
    public static let magic = Array("RVMXBNDL".utf8)
    public static let majorVersion: UInt16 = 1
    public static let minorVersion: UInt16 = 0
    public static let alignment = 64
    public static let maxManifestLength = 256 << 20

    public var major: UInt16 = majorVersion
    public var minor: UInt16 = minorVersion
    public var manifestCompressed: Bool
    public var manifestStoredLength: Int
    public var manifestLength: Int
    public var manifestCRC: UInt32
    public var dataOffset: Int
    public var dataLength: Int

    public var manifestOffset: Int { Self.size }

    public init(manifestCompressed: Bool, manifestStoredLength: Int, manifestLength: Int, manifestCRC: UInt32,
                dataOffset: Int, dataLength: Int) {
        self.manifestCompressed = manifestCompressed
        self.manifestStoredLength = manifestStoredLength
        self.manifestLength = manifestLength
        self.manifestCRC = manifestCRC
        self.dataOffset = dataOffset
        self.dataLength = dataLength
    }

    /// Reads and checks the header against the size of the file it starts.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(BundleProblem) {
        guard bytes.count >= Self.size else { throw .tooShort(size: bytes.count) }
        guard bytes.prefix(8).elementsEqual(Self.magic) else { throw .badMagic }
        var reader = ByteReader(UnsafeRawBufferPointer(rebasing: bytes[0..<Self.size]), offset: 8)
        // The header is fully present, so none of these reads can fail.
        func u16() -> UInt16 { try! reader.read(UInt16.self) }
        func u32() -> UInt32 { try! reader.read(UInt32.self) }
        func u64() -> UInt64 { try! reader.read(UInt64.self) }
        major = u16()
        minor = u16()
        let flags = u32()
        let manifestOffset = u64()
        let storedLength = u64()
        let length = u64()
        manifestCRC = u32()
        let dataOffset = u64()
        let dataLength = u64()
        let headerCRC = u32()

        guard crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<60])) == headerCRC else { throw .headerChecksum }
        guard major <= Self.majorVersion else { throw .newerMajorVersion(major: major, minor: minor) }
        guard major == Self.majorVersion else { throw .unsupportedVersion(major: major, minor: minor) }
        guard flags & ~1 == 0 else { throw .unknownFlags(flags) }
        manifestCompressed = flags & 1 != 0
        guard manifestOffset == UInt64(Self.size) else { throw .badHeaderField("manifest_offset", manifestOffset) }
        let fileSize = UInt64(bytes.count)
        guard storedLength <= fileSize - manifestOffset else { throw .badHeaderField("manifest_stored_length", storedLength) }
        guard length <= UInt64(Self.maxManifestLength), manifestCompressed || length == storedLength else {
            throw .badHeaderField("manifest_length", length)
        }
        guard dataOffset % UInt64(Self.alignment) == 0, dataOffset >= manifestOffset + storedLength, dataOffset <= fileSize else {
            throw .badHeaderField("data_offset", dataOffset)
        }
        guard dataLength == fileSize - dataOffset else {
            throw .sizeMismatch(expected: dataOffset &+ dataLength, actual: bytes.count)
        }
        manifestStoredLength = Int(storedLength)
        manifestLength = Int(length)
        self.dataOffset = Int(dataOffset)
        self.dataLength = Int(dataLength)
    }

    /// The 64 bytes of this header, its own CRC included.
    public var bytes: [UInt8] {
        var out: [UInt8] = Self.magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        put(major)
        put(minor)
        put(UInt32(manifestCompressed ? 1 : 0))
        put(UInt64(manifestOffset))
        put(UInt64(manifestStoredLength))
        put(UInt64(manifestLength))
        put(manifestCRC)
        put(UInt64(dataOffset))
        put(UInt64(dataLength))
        put(out.withUnsafeBytes { crc32($0) })
        return out
    }
}
