import Crypto
import Glibc
import Foundation
import RevmuxFormats
import RevmuxTensors

/// Progress of a conversion, for a progress bar.
public struct ConvertProgress: Sendable {
    public let tensor: String
    public let done: Int
    public let total: Int
    public let bytesWritten: Int
}

/// Turns a Hugging Face folder or a GGUF file into a `.revmux` bundle, tensor by tensor:
/// memory stays at one converted tensor, whatever the model's size.
public enum Converter {
    public static let version = "revmux 0.1.0"

    @discardableResult
    public static func convert(
        _ sourcePath: String, to output: String, dtype: TargetType, overwrite: Bool, task: TaskOptions? = nil,
        progress: (ConvertProgress) -> Void = { _ in }
    ) throws(ConvertError) -> BundleManifest {
        let plan: Plan
        if Plan.isBundle(sourcePath) {
            guard dtype == .keep else { throw .unsupportedSetting("\(sourcePath): a bundle is copied as it is stored: use --dtype keep") }
            guard task != nil else { throw .task("converting a bundle adds a task to it: give --mux, --prefill-layers and --labels") }
            plan = try Plan(bundlePath: sourcePath)
        } else {
            let source: ModelSource
            do {
                source = try ModelSource.open(sourcePath)
            } catch {
                throw .source(error)
            }
            plan = try Plan(source, path: sourcePath)
        }
        let adapters = try task.map { (task) throws(ConvertError) in try AdapterTensors(task, plan: plan) }
        let writer: BundleWriter
        do {
            writer = try BundleWriter(path: output, overwrite: overwrite)
        } catch {
            throw .write(error)
        }

        // Tensors stream through in chunks of whole blocks (every GGML block size divides
        // the chunk), each chunk's source pages dropped once read: memory stays flat.
        let chunk = Self.chunkElements
        var floats = [Float](repeating: 0, count: chunk)
        var encoded = [UInt8](repeating: 0, count: chunk * MemoryLayout<Float>.size)
        var written = 0
        for (index, item) in plan.tensors.enumerated() {
            let target = dtype.storage(for: item.view)
            let view = item.view
            try converting {
                writer.beginTensor(name: item.name, type: target, shape: view.shape)
                for start in stride(from: 0, to: view.elementCount, by: chunk) {
                    let range = start..<min(start + chunk, view.elementCount)
                    if target == view.type {
                        try writer.appendTensorBytes(view.bytes(elements: range))
                    } else {
                        try encode(item, range, as: target, floats: &floats, into: &encoded, write: writer.appendTensorBytes)
                    }
                    view.releasePages(elements: range)
                }
                try writer.endTensor()
            }
            written += target.byteCount(elements: view.elementCount) ?? 0
            progress(ConvertProgress(tensor: item.name, done: index + 1, total: plan.tensors.count, bytesWritten: written))
        }
        return try converting {
            for tensor in adapters?.tensors ?? [] {
                try tensor.values.withUnsafeBytes { try writer.addTensor(name: tensor.name, type: .scalar(.f32), shape: tensor.shape, bytes: $0) }
            }
            try writer.addTokenizer(kind: plan.tokenizerKind, bytes: plan.tokenizer)
            let adapterSources = adapters?.sourcePath.map { [$0] } ?? []
            let hashed = try (plan.sources + adapterSources).map { path throws(ConvertError) in SourceFile(path: path, sha256: try sha256(path)) }
            return try writer.finish(family: plan.family, config: plan.config, tasks: plan.tasks + (adapters.map { [$0.section] } ?? []), provenance: Provenance(
                sources: plan.recordedSources + hashed,
                converter: version, created: ISO8601DateFormatter().string(from: Date())))
        }
    }

    /// Runs `body`; the writer's errors become `.write`, conversion errors pass through.
    private static func converting<T>(_ body: () throws -> T) throws(ConvertError) -> T {
        do {
            return try body()
        } catch let error as BundleWriteError {
            throw .write(error)
        } catch let error as ConvertError {
            throw error
        } catch {
            preconditionFailure("unexpected \(error)")
        }
    }

    /// Elements per chunk: 1 MiB of f32, a multiple of every GGML block size (32 and 256).
    static let chunkElements = 1 << 18

    /// Decodes elements `range` of a tensor to f32, re-encodes them as `target` and hands
    /// the bytes to `write` (straight from `floats` for f32, from `encoded` otherwise).
    private static func encode(
        _ item: Plan.Item, _ range: Range<Int>, as target: TensorType, floats: inout [Float], into encoded: inout [UInt8],
        write: (UnsafeRawBufferPointer) throws(BundleWriteError) -> Void
    ) throws {
        let count = range.count
        do {
            try floats.withUnsafeMutableBufferPointer { (buffer) throws(ConversionError) in
                try item.view.convert(elements: range, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            }
        } catch {
            throw ConvertError.unsupportedConversion(tensor: item.name, from: item.view.type, to: target.description)
        }
        let length = target.byteCount(elements: count)!
        try floats.withUnsafeBufferPointer { values in
            let source = UnsafeBufferPointer(rebasing: values[0..<count])
            if target == .scalar(.f32) { return try write(UnsafeRawBufferPointer(source)) }
            try encoded.withUnsafeMutableBytes { raw in
                let destination = UnsafeMutableRawBufferPointer(rebasing: raw[0..<length])
                switch target {
                case .scalar(.f16): Encode.f16(source, into: destination)
                case .scalar(.bf16): Encode.bf16(source, into: destination)
                case .quantized(.q8_0): Encode.q8_0(source, into: destination)
                default: preconditionFailure("no encoder for \(target)")
                }
                try write(UnsafeRawBufferPointer(destination))
            }
        }
    }

    /// Streams the file through SHA-256 in 1 MiB reads: no mapping stays resident.
    private static func sha256(_ path: String) throws(ConvertError) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io(FileError(path: path, operation: "open", errno: errno)) }
        defer { close(fd) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw .io(FileError(path: path, operation: "read", errno: errno)) }
            if count == 0 { break }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
