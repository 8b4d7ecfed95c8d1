import RevmuxJSON
import RevmuxTensors

/// A validated safetensors header: its metadata and every tensor's place in the file.
///
/// Validation follows the reference reader (safetensors' `tensor.rs`) check for check,
/// and adds two it lacks: duplicate tensor names and unknown dtypes are errors.
public struct SafetensorsLayout: Sendable {
    public static let maxHeaderLength = 100_000_000

    /// Length of the JSON header, as stored in the first 8 bytes.
    public let headerLength: Int
    public let metadata: [String: String]
    /// In file order (ascending offsets).
    public let tensors: [TensorEntry]

    public var dataOffset: Int { 8 + headerLength }

    public init(parsing bytes: UnsafeRawBufferPointer) throws(SafetensorsProblem) {
        guard bytes.count >= 8 else { throw .tooShort(size: bytes.count) }
        let declared = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maxHeaderLength) else {
            throw .headerTooLarge(length: declared, limit: Self.maxHeaderLength)
        }
        let length = Int(declared)
        guard length <= bytes.count - 8 else { throw .headerPastEnd(length: declared, fileSize: bytes.count) }

        let header = UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + length)])
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: header)
        } catch .duplicateKey(let name, depth: 0) {
            // A repeated top-level key is a tensor declared twice; deeper repeats are bad JSON.
            throw .duplicateTensor(name: name)
        } catch {
            throw .headerNotJSON(error)
        }
        guard let entries = document.root.entries else { throw .headerNotObject(found: document.root.kindName) }

        var metadata: [String: String] = [:]
        var declaredTensors: [(name: String, dtype: DType, shape: [Int], start: Int, end: Int)] = []
        declaredTensors.reserveCapacity(entries.count)
        for (name, value) in entries {
            if name == "__metadata__" {
                metadata = try Self.metadata(value)
                continue
            }
            declaredTensors.append(try Self.tensorInfo(name, value))
        }

        // Sorted by (start, end), then each must begin where the previous ended.
        declaredTensors.sort { ($0.start, $0.end) < ($1.start, $1.end) }
        let dataOffset = 8 + length
        var cursor = 0
        for info in declaredTensors {
            guard info.start == cursor, info.end >= info.start else {
                throw .offsetsNotContiguous(tensor: info.name, start: info.start, expected: cursor)
            }
            guard let count = elementCount(of: info.shape),
                let needed = TensorType.scalar(info.dtype).byteCount(elements: count)
            else { throw .sizeOverflow(tensor: info.name) }
            guard info.end - info.start == needed else {
                throw .sizeMismatch(tensor: info.name, expectedBytes: needed, actualBytes: info.end - info.start)
            }
            cursor = info.end
        }
        let dataSize = bytes.count - dataOffset
        guard cursor == dataSize else { throw .dataSizeMismatch(expected: cursor, actual: dataSize) }

        self.headerLength = length
        self.metadata = metadata
        // Every end is now at most the data size, so these additions cannot overflow.
        self.tensors = declaredTensors.map { info in
            TensorEntry(
                name: info.name, type: .scalar(info.dtype), shape: info.shape,
                byteRange: (dataOffset + info.start)..<(dataOffset + info.end))
        }
    }

    private static func metadata(_ value: JSONValue) throws(SafetensorsProblem) -> [String: String] {
        // The reference reads `Option<HashMap<String, String>>`: null means none.
        if value.isNull { return [:] }
        guard let entries = value.entries else { throw .metadataNotStrings(key: "__metadata__") }
        var result: [String: String] = [:]
        for (key, entry) in entries {
            guard let text = entry.string else { throw .metadataNotStrings(key: key) }
            result[key] = text
        }
        return result
    }

    private static func tensorInfo(
        _ name: String, _ fields: JSONValue
    ) throws(SafetensorsProblem) -> (name: String, dtype: DType, shape: [Int], start: Int, end: Int) {
        guard fields.isObject else { throw .tensorNotObject(name: name) }
        guard let dtypeValue = fields["dtype"] else { throw .missingField(tensor: name, field: "dtype") }
        guard let dtypeName = dtypeValue.string else {
            throw .badField(tensor: name, field: "dtype", expected: "a string")
        }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unknownDType(tensor: name, dtype: dtypeName) }

        guard let shapeValue = fields["shape"] else { throw .missingField(tensor: name, field: "shape") }
        guard let dimensions = shapeValue.array else {
            throw .badField(tensor: name, field: "shape", expected: "an array of non-negative integers")
        }
        var shape: [Int] = []
        shape.reserveCapacity(dimensions.count)
        for dimension in dimensions {
            guard let size = dimension.nonNegativeInt else {
                throw .badField(tensor: name, field: "shape", expected: "an array of non-negative integers")
            }
            shape.append(size)
        }

        guard let offsetsValue = fields["data_offsets"] else {
            throw .missingField(tensor: name, field: "data_offsets")
        }
        guard let offsets = offsetsValue.array, offsets.count == 2,
            let start = offsets[0].nonNegativeInt, let end = offsets[1].nonNegativeInt
        else {
            throw .badField(tensor: name, field: "data_offsets", expected: "two non-negative integers [begin, end]")
        }
        return (name, dtype, shape, start, end)
    }
}
