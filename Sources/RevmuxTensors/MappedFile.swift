import Glibc
import SystemPackage

/// A read-only, private memory mapping of a whole file.
///
/// Tensor views point into `bytes` and keep the mapping alive through a strong
/// reference, so no tensor data is ever copied or read until a view is used.
public final class MappedFile: @unchecked Sendable {
    // Sendable: the mapping is read-only and never changes after `init`.
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws(FileError) {
        self.path = path
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(path), .readOnly)
        } catch {
            throw FileError(path: path, operation: "open", errno: (error as? Errno)?.rawValue ?? EIO)
        }
        defer { try? fd.close() }

        var info = stat()
        guard fstat(fd.rawValue, &info) == 0 else {
            throw FileError(path: path, operation: "stat", errno: errno)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw FileError(path: path, operation: "open", errno: EISDIR, detail: "not a regular file")
        }
        let size = Int(info.st_size)
        if size == 0 {
            // mmap rejects zero-length mappings; an empty file is simply empty.
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd.rawValue, 0)
        guard let address, address != MAP_FAILED else {
            throw FileError(path: path, operation: "mmap", errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }

    public var count: Int { bytes.count }

    /// Lets the kernel drop the pages of `range` from this process (they stay in the page
    /// cache): a converter that has written a tensor out keeps its resident set flat.
    public func releasePages(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        // Only whole pages inside the range: a shared edge page may hold a neighbour's bytes.
        let start = (range.lowerBound + page - 1) / page * page
        let end = range.upperBound / page * page
        guard start < end else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }
}

/// An operating-system failure on a named file.
public struct FileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let operation: String
    public let errno: Int32
    public let detail: String?

    public init(path: String, operation: String, errno: Int32, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.errno = errno
        self.detail = detail
    }

    public var description: String {
        let reason = detail ?? String(cString: strerror(errno))
        return "\(path): cannot \(operation): \(reason)"
    }
}
