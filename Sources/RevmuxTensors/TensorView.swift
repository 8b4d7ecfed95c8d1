/// A tensor inside a mapped file: name, storage type, row-major shape and the bytes.
///
/// `shape` is always row-major, outermost dimension first, whatever the source format
/// (GGUF stores dimensions innermost first; its reader reverses them).
/// The view holds its file's mapping alive and never copies the data.
public struct TensorView: @unchecked Sendable {
    // Sendable: `data` points into an immutable mapping owned by `storage`.
    public let name: String
    public let type: TensorType
    public let shape: [Int]
    /// Offset of the first byte within the file.
    public let fileOffset: Int
    public let data: UnsafeRawBufferPointer
    public let storage: MappedFile

    init(entry: TensorEntry, storage: MappedFile) {
        self.name = entry.name
        self.type = entry.type
        self.shape = entry.shape
        self.fileOffset = entry.byteRange.lowerBound
        self.storage = storage
        self.data = UnsafeRawBufferPointer(rebasing: storage.bytes[entry.byteRange])
    }

    public var elementCount: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }

    /// Decodes every element to f32 into `output`, which must hold `elementCount` floats.
    public func convert(into output: UnsafeMutableBufferPointer<Float>) throws(ConversionError) {
        precondition(output.count == elementCount, "output holds \(output.count) floats, tensor has \(elementCount)")
        switch type {
        case .scalar(let dtype):
            try ScalarConversion.convert(dtype, data, into: output)
        case .quantized(let quant):
            guard quant.canDequantize else { throw ConversionError.unsupported(type) }
            quant.dequantize(blocks: data, into: output)
        }
    }

    /// Decodes every element to a new f32 array.
    public func floats() throws(ConversionError) -> [Float] {
        var result = [Float](repeating: 0, count: elementCount)
        try result.withUnsafeMutableBufferPointer { (buffer) throws(ConversionError) in
            try convert(into: buffer)
        }
        return result
    }
}

public enum ConversionError: Error, Equatable, CustomStringConvertible, Sendable {
    case unsupported(TensorType)

    public var description: String {
        switch self {
        case .unsupported(let type): "conversion of \(type) tensors to f32 is not supported"
        }
    }
}
