import CZlib
import Foundation
import Glibc
import RevmuxFormats
import RevmuxTensors

/// Writes a bundle so that it appears complete or not at all.
///
/// Tensors stream into an unnamed file (O_TMPFILE) beside the destination while their
/// CRCs are computed; `finish` writes header and manifest into a second unnamed file,
/// appends the data with a kernel-side copy, syncs, and only then links it into place.
/// A process killed at any point leaves nothing behind, not even a temporary name.
public final class BundleWriter {
    public let path: String
    private let overwrite: Bool
    private let data: Int32
    private var dataLength = 0
    private var tensors: [BundleTensor] = []
    private var tokenizer: TokenizerRecord?
    /// The tensor being written in pieces, its length and CRC so far.
    private var current: BundleTensor?
    private var finished = false

    public init(path: String, overwrite: Bool) throws(BundleWriteError) {
        self.path = path
        self.overwrite = overwrite
        if !overwrite, access(path, F_OK) == 0 { throw .exists(path) }
        data = try Self.unnamedFile(beside: path)
    }

    deinit {
        close(data)
    }

    /// Appends one tensor's bytes, 64-byte aligned.
    public func addTensor(name: String, type: TensorType, shape: [Int], bytes: UnsafeRawBufferPointer) throws(BundleWriteError) {
        beginTensor(name: name, type: type, shape: shape)
        try appendTensorBytes(bytes)
        try endTensor()
    }

    /// Starts a tensor whose bytes follow in pieces (`appendTensorBytes`), so that a converter
    /// never holds a whole tensor; `endTensor` records it.
    public func beginTensor(name: String, type: TensorType, shape: [Int]) {
        precondition(current == nil, "tensor \(current?.name ?? "") is still open")
        current = BundleTensor(name: name, type: type, shape: shape, offset: dataLength, length: 0, crc32: 0)
    }

    public func appendTensorBytes(_ bytes: UnsafeRawBufferPointer) throws(BundleWriteError) {
        precondition(current != nil, "appendTensorBytes outside beginTensor/endTensor")
        try Self.writeAll(data, bytes, path: path)
        dataLength += bytes.count
        current!.length += bytes.count
        current!.crc32 = crc32(bytes, initial: current!.crc32)
    }

    /// Pads the open tensor to the alignment and records it.
    public func endTensor() throws(BundleWriteError) {
        guard let tensor = current else { preconditionFailure("endTensor without beginTensor") }
        current = nil
        try pad()
        tensors.append(tensor)
    }

    /// Stores the tokenizer, zlib-compressed when that saves at least a tenth.
    public func addTokenizer(kind: TokenizerRecord.Kind, bytes: [UInt8]) throws(BundleWriteError) {
        let packed = Self.deflate(bytes)
        let compressed = packed.count * 10 <= bytes.count * 9
        let stored = compressed ? packed : bytes
        let offset = try stored.withBytes { (raw) throws(BundleWriteError) in try append(raw) }
        let crc = stored.withUnsafeBytes { crc32($0) }
        tokenizer = TokenizerRecord(kind: kind, blob: BundleBlob(
            offset: offset, storedLength: stored.count, length: bytes.count, crc32: crc, compressed: compressed))
    }

    /// Writes the file and links it at `path`. Returns the manifest written.
    @discardableResult
    public func finish(family: Family, config: [String: ConfigValue], tasks: [RevmuxSection], provenance: Provenance) throws(BundleWriteError) -> BundleManifest {
        precondition(!finished, "finish called twice")
        precondition(current == nil, "tensor \(current?.name ?? "") was never ended")
        finished = true
        let manifest = BundleManifest(family: family, config: config, tensors: tensors, tokenizer: tokenizer, tasks: tasks, provenance: provenance)
        let json: [UInt8]
        do {
            json = Array(try manifest.jsonData())
        } catch {
            throw .manifest(String(describing: error))
        }
        let packed = Self.deflate(json)
        let compressed = packed.count * 10 <= json.count * 9
        let stored = compressed ? packed : json
        let manifestEnd = BundleHeader.size + stored.count
        let dataOffset = (manifestEnd + BundleHeader.alignment - 1) / BundleHeader.alignment * BundleHeader.alignment
        let header = BundleHeader(
            manifestCompressed: compressed, manifestStoredLength: stored.count, manifestLength: json.count,
            manifestCRC: stored.withUnsafeBytes { crc32($0) }, dataOffset: dataOffset, dataLength: dataLength)

        let output = try Self.unnamedFile(beside: path)
        defer { close(output) }
        let front = header.bytes + stored + [UInt8](repeating: 0, count: dataOffset - manifestEnd)
        try front.withBytes { (raw) throws(BundleWriteError) in try Self.writeAll(output, raw, path: path) }
        var copied = 0
        var source: off_t = 0
        while copied < dataLength {
            let count = sendfile(output, data, &source, dataLength - copied)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw .io(FileError(path: path, operation: "write", errno: count < 0 ? errno : EIO)) }
            copied += count
        }
        guard fsync(output) == 0 else { throw .io(FileError(path: path, operation: "sync", errno: errno)) }
        try Self.link(output, to: path, overwrite: overwrite)
        return manifest
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws(BundleWriteError) -> Int {
        let offset = dataLength
        try Self.writeAll(data, bytes, path: path)
        dataLength += bytes.count
        try pad()
        return offset
    }

    /// Zeros up to the next aligned offset of the data section.
    private func pad() throws(BundleWriteError) {
        let padding = (BundleHeader.alignment - dataLength % BundleHeader.alignment) % BundleHeader.alignment
        let zeros = [UInt8](repeating: 0, count: padding)
        try zeros.withBytes { (raw) throws(BundleWriteError) in try Self.writeAll(data, raw, path: path) }
        dataLength += padding
    }

    // MARK: - Files

    /// O_TMPFILE is not exported to Swift (it is a compound macro); its value is the same
    /// on x86-64 and aarch64.
    private static let openTemporary: Int32 = 0o20000000 | O_DIRECTORY

    private static func unnamedFile(beside path: String) throws(BundleWriteError) -> Int32 {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let fd = open(folder, openTemporary | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(FileError(path: folder, operation: "create a temporary file in", errno: errno)) }
        return fd
    }

    /// Gives the finished unnamed file its name. linkat never replaces a file, so an
    /// overwrite links a temporary name first and renames it over the destination.
    private static func link(_ fd: Int32, to path: String, overwrite: Bool) throws(BundleWriteError) {
        let source = "/proc/self/fd/\(fd)"
        let target = overwrite ? path + ".revmux-\(getpid()).tmp" : path
        guard linkat(AT_FDCWD, source, AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0 else {
            if errno == EEXIST, !overwrite { throw .exists(path) }
            throw .io(FileError(path: target, operation: "create", errno: errno))
        }
        if overwrite, rename(target, path) != 0 {
            let error = errno
            unlink(target)
            throw .io(FileError(path: path, operation: "replace", errno: error))
        }
        // The new directory entry must survive a crash too.
        let folder = open(URL(fileURLWithPath: path).deletingLastPathComponent().path, O_RDONLY | O_DIRECTORY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(BundleWriteError) {
        var done = 0
        while done < bytes.count {
            let count = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw .io(FileError(path: path, operation: "write", errno: count < 0 ? errno : EIO)) }
            done += count
        }
    }

    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var bound = compressBound(UInt(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(bound))
        let status = output.withUnsafeMutableBytes { target in
            bytes.withUnsafeBytes { source in
                compress2(target.baseAddress?.assumingMemoryBound(to: Bytef.self), &bound,
                          source.baseAddress?.assumingMemoryBound(to: Bytef.self), UInt(bytes.count), 6)
            }
        }
        // compress2 only fails for lack of room, which compressBound rules out.
        precondition(status == Z_OK, "zlib compress2 failed: \(status)")
        return Array(output.prefix(Int(bound)))
    }
}

public enum BundleWriteError: Error, Sendable, CustomStringConvertible {
    case exists(String)
    case io(FileError)
    case manifest(String)

    public var description: String {
        switch self {
        case .exists(let path): "\(path) already exists (use --force to replace it)"
        case .io(let error): error.description
        case .manifest(let reason): "cannot encode the manifest: \(reason)"
        }
    }
}
