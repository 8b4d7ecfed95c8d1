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
        try convert(elements: 0..<elementCount, into: output)
    }

    /// Decodes elements `range` to f32 into `output` (`range.count` floats). For a quantised
    /// type the range must cover whole blocks.
    public func convert(elements range: Range<Int>, into output: UnsafeMutableBufferPointer<Float>) throws(ConversionError) {
        precondition(output.count == range.count, "output holds \(output.count) floats for \(range.count) elements")
        let bytes = self.bytes(elements: range)
        switch type {
        case .scalar(let dtype):
            try ScalarConversion.convert(dtype, bytes, into: output)
        case .quantized(let quant):
            guard quant.canDequantize else { throw ConversionError.unsupported(type) }
            quant.dequantize(blocks: bytes, into: output)
        }
    }

    /// The stored bytes of elements `range` (whole blocks for a quantised type).
    public func bytes(elements range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= elementCount)
        guard let start = type.byteCount(elements: range.lowerBound), let end = type.byteCount(elements: range.upperBound) else {
            preconditionFailure("elements \(range) split a block of \(type)")
        }
        return UnsafeRawBufferPointer(rebasing: data[start..<end])
    }

    /// Lets the kernel drop the mapped pages of elements `range` once they have been read:
    /// streaming a large model through memory then keeps only what is in use resident.
    public func releasePages(elements range: Range<Int>) {
        let bytes = bytes(elements: range)
        let start = fileOffset + (bytes.baseAddress! - data.baseAddress!)
        storage.releasePages(start..<(start + bytes.count))
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
