import RevmuxFormats
import RevmuxJSON
import RevmuxTensors

/// One parser under fuzzing: it must return or throw a typed problem for any bytes,
/// never crash, hang or read out of bounds (AddressSanitizer watches the last).
enum FuzzTarget: String, CaseIterable {
    case safetensors
    case gguf
    case json

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .safetensors:
            guard let layout = try? SafetensorsLayout(parsing: bytes) else { return }
            check(layout.tensors, within: bytes)
        case .gguf:
            guard let layout = try? GGUFLayout(parsing: bytes) else { return }
            check(layout.tensors, within: bytes)
            // Exercise the f32 conversion of every accepted tensor, quantised ones included.
            for entry in layout.tensors where entry.elementCount <= 1 << 16 {
                guard case .quantized(let quant) = entry.type, quant.canDequantize else { continue }
                var output = [Float](repeating: 0, count: entry.elementCount)
                output.withUnsafeMutableBufferPointer {
                    quant.dequantize(blocks: UnsafeRawBufferPointer(rebasing: bytes[entry.byteRange]), into: $0)
                }
            }
        case .json:
            guard let document = try? JSONDocument(parsing: bytes) else { return }
            walk(document.root, depth: 0)
        }
    }

    /// An accepted file's tensors must lie inside it: a parser bug if not.
    private func check(_ tensors: [TensorEntry], within bytes: UnsafeRawBufferPointer) {
        for entry in tensors {
            precondition(entry.byteRange.lowerBound >= 0 && entry.byteRange.upperBound <= bytes.count)
            precondition(entry.type.byteCount(elements: entry.elementCount) == entry.byteRange.count)
        }
    }

    private func walk(_ value: JSONValue, depth: Int) {
        precondition(depth <= Int(JSONDocument.depthLimit))
        _ = value.string
        _ = value.int
        _ = value.double
        value.array?.forEach { walk($0, depth: depth + 1) }
        value.entries?.forEach { walk($0.value, depth: depth + 1) }
    }
}
