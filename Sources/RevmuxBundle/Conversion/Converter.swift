import Crypto
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
        let source: ModelSource
        do {
            source = try ModelSource.open(sourcePath)
        } catch {
            throw .source(error)
        }
        let plan = try Plan(source, path: sourcePath)
        let adapters = try task.map { (task) throws(ConvertError) in try AdapterTensors(task, plan: plan) }
        let writer: BundleWriter
        do {
            writer = try BundleWriter(path: output, overwrite: overwrite)
        } catch {
            throw .write(error)
        }

        let largest = plan.tensors.map { $0.view.elementCount }.max() ?? 0
        var floats = [Float](repeating: 0, count: largest)
        var encoded = [UInt8](repeating: 0, count: largest * 4)
        var written = 0
        for (index, item) in plan.tensors.enumerated() {
            let target = dtype.storage(for: item.view)
            do {
                if target == item.view.type {
                    try writer.addTensor(name: item.name, type: target, shape: item.view.shape, bytes: item.view.data)
                } else {
                    let count = item.view.elementCount
                    let length = try encode(item, as: target, floats: &floats, into: &encoded)
                    try encoded.withBytes { (raw) throws(BundleWriteError) in
                        try writer.addTensor(name: item.name, type: target, shape: item.view.shape,
                                             bytes: UnsafeRawBufferPointer(rebasing: raw[0..<length]))
                    }
                    precondition(target.byteCount(elements: count) == length)
                }
            } catch let error as BundleWriteError {
                throw .write(error)
            } catch let error as ConvertError {
                throw error
            } catch {
                preconditionFailure("unexpected \(error)")
            }
            written += target.byteCount(elements: item.view.elementCount) ?? 0
            progress(ConvertProgress(tensor: item.name, done: index + 1, total: plan.tensors.count, bytesWritten: written))
        }
        do {
            for tensor in adapters?.tensors ?? [] {
                try tensor.values.withUnsafeBytes { try writer.addTensor(name: tensor.name, type: .scalar(.f32), shape: tensor.shape, bytes: $0) }
            }
            try writer.addTokenizer(kind: plan.tokenizerKind, bytes: plan.tokenizer)
            let adapterSources = adapters?.sourcePath.map { [$0] } ?? []
            return try writer.finish(family: plan.family, config: plan.config, revmux: adapters?.section, provenance: Provenance(
                sources: try (plan.sources + adapterSources).map { path throws(ConvertError) in SourceFile(path: path, sha256: try sha256(path)) },
                converter: version, created: ISO8601DateFormatter().string(from: Date())))
        } catch let error as BundleWriteError {
            throw .write(error)
        } catch let error as ConvertError {
            throw error
        } catch {
            preconditionFailure("unexpected \(error)")
        }
    }

    /// Decodes a tensor to f32 and re-encodes it as `target`; returns the byte count.
    private static func encode(
        _ item: Plan.Item, as target: TensorType, floats: inout [Float], into encoded: inout [UInt8]
    ) throws(ConvertError) -> Int {
        let count = item.view.elementCount
        do {
            try floats.withUnsafeMutableBufferPointer { (buffer) throws(ConversionError) in
                try item.view.convert(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
            }
        } catch {
            throw .unsupportedConversion(tensor: item.name, from: item.view.type, to: target.description)
        }
        let length = target.byteCount(elements: count)!
        floats.withUnsafeBufferPointer { values in
            let source = UnsafeBufferPointer(rebasing: values[0..<count])
            encoded.withUnsafeMutableBytes { raw in
                let destination = UnsafeMutableRawBufferPointer(rebasing: raw[0..<length])
                switch target {
                case .scalar(.f32): destination.copyMemory(from: UnsafeRawBufferPointer(source))
                case .scalar(.f16): Encode.f16(source, into: destination)
                case .scalar(.bf16): Encode.bf16(source, into: destination)
                case .quantized(.q8_0): Encode.q8_0(source, into: destination)
                default: preconditionFailure("no encoder for \(target)")
                }
            }
        }
        return length
    }

    private static func sha256(_ path: String) throws(ConvertError) -> String {
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw .io(error)
        }
        return SHA256.hash(data: file.bytes).map { String(format: "%02x", $0) }.joined()
    }
}
