/// Serialises GGUF metadata into a version-3 GGUF file with no tensors: how a bundle
/// keeps a GGUF model's tokenizer (its `tokenizer.*` keys) in GGUF's own terms.
public enum GGUFMetadataWriter {
    public static func file(_ metadata: [(key: String, value: GGUFValue)]) -> [UInt8] {
        var out: [UInt8] = Array("GGUF".utf8)
        put(UInt32(3), &out)
        put(UInt64(0), &out)
        put(UInt64(metadata.count), &out)
        for (key, value) in metadata {
            put(key, &out)
            put(value.type.rawValue, &out)
            put(value, &out)
        }
        return out
    }

    private static func put<T: FixedWidthInteger>(_ value: T, _ out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    private static func put(_ string: String, _ out: inout [UInt8]) {
        put(UInt64(string.utf8.count), &out)
        out += string.utf8
    }

    private static func put(_ value: GGUFValue, _ out: inout [UInt8]) {
        switch value {
        case .uint8(let v): put(v, &out)
        case .int8(let v): put(v, &out)
        case .uint16(let v): put(v, &out)
        case .int16(let v): put(v, &out)
        case .uint32(let v): put(v, &out)
        case .int32(let v): put(v, &out)
        case .float32(let v): put(v.bitPattern, &out)
        case .bool(let v): put(UInt8(v ? 1 : 0), &out)
        case .string(let v): put(v, &out)
        case .uint64(let v): put(v, &out)
        case .int64(let v): put(v, &out)
        case .float64(let v): put(v.bitPattern, &out)
        case .array(let array): put(array, &out)
        }
    }

    private static func put(_ array: GGUFArray, _ out: inout [UInt8]) {
        put(array.elementType.rawValue, &out)
        put(UInt64(array.count), &out)
        for index in 0..<array.count {
            if case .array(let inner) = array[index] { put(inner, &out) } else { put(array[index], &out) }
        }
    }
}
