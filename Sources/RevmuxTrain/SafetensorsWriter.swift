import Foundation

/// Writes f32 tensors as one safetensors file: an 8-byte little-endian header length, the
/// JSON header (padded with spaces to 8 bytes), then the data in header order. Atomic: a
/// temporary file in the same directory is renamed over `path` only once complete.
public enum SafetensorsWriter {
    /// F16 halves the file; `revmux convert --adapters` widens it back to f32.
    public enum DType: String, Sendable { case f32 = "F32", f16 = "F16" }

    public static func write(_ parameters: [Parameter], to path: String, dtype: DType = .f32) throws(TrainError) {
        var entries: [String] = []
        var offset = 0
        let size = dtype == .f32 ? 4 : 2
        for p in parameters {
            let bytes = p.value.count * size
            let shape = p.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(p.name)\":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for p in parameters {
            // Little-endian, as safetensors requires; every supported host is little-endian.
            switch dtype {
            case .f32: data.append(UnsafeBufferPointer(start: p.value.base, count: p.value.count))
            case .f16: data.append(contentsOf: p.value.storage.map { Float16($0) }.withUnsafeBytes { Array($0) })
            }
        }
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .io("cannot write \(path): \(error.localizedDescription)")
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw .io("cannot move the finished file to \(path): \(reason)")
        }
    }
}
