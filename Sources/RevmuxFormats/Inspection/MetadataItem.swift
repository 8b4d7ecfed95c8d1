/// One metadata entry as `inspect` shows it; arrays longer than `shownElements` are cut.
public struct MetadataItem: Encodable, Sendable {
    public static let shownElements = 16

    public let key: String
    /// GGUF value type name; "STRING" for safetensors metadata.
    public let type: String
    public let arrayType: String?
    /// Full array length, even when `value` shows fewer elements.
    public let length: Int?
    public let value: MetadataValue

    public init(key: String, value: GGUFValue) {
        self.key = key
        type = value.type.name
        if case .array(let array) = value {
            arrayType = array.elementType.name
            length = array.count
        } else {
            arrayType = nil
            length = nil
        }
        self.value = MetadataValue(value)
    }

    static func strings(_ metadata: [String: String]) -> [MetadataItem] {
        metadata.sorted { $0.key < $1.key }.map { MetadataItem(key: $0.key, value: .string($0.value)) }
    }

    enum CodingKeys: String, CodingKey {
        case key, type, arrayType = "array_type", length, value
    }
}

/// A metadata value in JSON terms. Non-finite floats become the strings
/// "nan", "inf" and "-inf", since JSON has no numbers for them.
public indirect enum MetadataValue: Encodable, Sendable {
    case integer(Int64)
    case unsigned(UInt64)
    case float32(Float)
    case float(Double)
    case bool(Bool)
    case string(String)
    case list([MetadataValue])

    init(_ value: GGUFValue) {
        switch value {
        case .uint8(let v): self = .integer(Int64(v))
        case .int8(let v): self = .integer(Int64(v))
        case .uint16(let v): self = .integer(Int64(v))
        case .int16(let v): self = .integer(Int64(v))
        case .uint32(let v): self = .integer(Int64(v))
        case .int32(let v): self = .integer(Int64(v))
        case .int64(let v): self = .integer(v)
        case .uint64(let v): self = .unsigned(v)
        case .float32(let v): self = .float32(v)
        case .float64(let v): self = .float(v)
        case .bool(let v): self = .bool(v)
        case .string(let v): self = .string(v)
        case .array(let array): self = MetadataValue(array)
        }
    }

    init(_ array: GGUFArray) {
        let shown = min(array.count, MetadataItem.shownElements)
        self = .list((0..<shown).map { MetadataValue(array[$0]) })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .integer(let v): try container.encode(v)
        case .unsigned(let v): try container.encode(v)
        case .float32(let v): try encodeFloat(v, &container)
        case .float(let v): try encodeFloat(v, &container)
        case .bool(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .list(let values): try container.encode(values)
        }
    }
}

private func encodeFloat<F: BinaryFloatingPoint & Encodable>(_ value: F, _ container: inout any SingleValueEncodingContainer) throws {
    if value.isFinite {
        try container.encode(value)
    } else {
        try container.encode(value.isNaN ? "nan" : value < 0 ? "-inf" : "inf")
    }
}
