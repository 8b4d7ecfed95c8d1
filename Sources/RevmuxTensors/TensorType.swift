/// How a tensor's elements are stored: one scalar per element, or in quantised blocks.
public enum TensorType: Hashable, Sendable, CustomStringConvertible {
    case scalar(DType)
    case quantized(QuantType)

    public var description: String {
        switch self {
        case .scalar(let dtype): dtype.rawValue
        case .quantized(let quant): quant.name
        }
    }

    /// Elements per storage unit (1 for scalars).
    public var blockSize: Int {
        switch self {
        case .scalar: 1
        case .quantized(let quant): quant.blockSize
        }
    }

    /// Bytes per storage unit.
    public var blockBytes: Int {
        switch self {
        case .scalar(let dtype): dtype.size
        case .quantized(let quant): quant.blockBytes
        }
    }

    /// Bytes needed for `elements` elements, or nil when `elements` is not a whole
    /// number of blocks or the size overflows.
    public func byteCount(elements: Int) -> Int? {
        guard elements >= 0, elements % blockSize == 0 else { return nil }
        let (bytes, overflow) = (elements / blockSize).multipliedReportingOverflow(by: blockBytes)
        return overflow ? nil : bytes
    }
}

/// Product of the dimensions, or nil on overflow or a negative dimension.
public func elementCount(of shape: [Int]) -> Int? {
    var count = 1
    for dimension in shape {
        guard dimension >= 0 else { return nil }
        let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        count = product
    }
    return count
}

extension TensorType {
    /// Parses the names `description` prints: safetensors dtypes and GGML quant type names.
    public init?(name: String) {
        if let dtype = DType(rawValue: name) {
            self = .scalar(dtype)
        } else if let quant = QuantType.allCases.first(where: { $0.name == name }) {
            self = .quantized(quant)
        } else {
            return nil
        }
    }
}
