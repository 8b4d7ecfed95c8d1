import Foundation

/// Writes f32 tensors as one safetensors file: an 8-byte little-endian header length, the
/// JSON header (padded with spaces to 8 bytes), then the data in header order. Atomic: a
/// temporary file in the same directory is renamed over `path` only once complete.
public enum SafetensorsWriter {
    public static func write(_ parameters: [Parameter], to path: String) throws(TrainError) {
        var entries: [String] = []
        var offset = 0
        for p in parameters {
            let bytes = p.value.count * 4
            let shape = p.shape.map(String.init).joined(separator: ",")
            entries.append("\"\(p.name)\":{\"dtype\":\"F32\",\"shape\":[\(shape)],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var data = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: header)
        for p in parameters {
            // Little-endian f32, as safetensors requires; every supported host is little-endian.
            data.append(UnsafeBufferPointer(start: p.value.base, count: p.value.count))
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
