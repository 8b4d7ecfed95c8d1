import RevmuxTensors

/// A validated GGUF header: metadata in file order and every tensor's place in the file.
///
/// Checks are at least as strict as llama.cpp's `gguf.cpp` after its security fixes:
/// every count and length is bounded by what remains of the file before anything is
/// allocated for it, every size computation is overflow-checked, and names are unique.
///
/// Dimension order: GGUF stores `ne[0]` first, the fastest-varying dimension. This is the
/// one place that reverses it: `TensorEntry.shape` and `GGUFTensorInfo.shape` are
/// row-major (outermost first), so a GGUF [ne0=4096, ne1=32000] weight has shape [32000, 4096].
public struct GGUFLayout: Sendable {
    public static let maxDimensions = 4
    public static let maxAlignment = 1 << 20
    public static let defaultAlignment = 32
    static let maxArrayNesting = 8

    public let version: UInt32
    public let metadata: [(key: String, value: GGUFValue)]
    public let alignment: Int
    /// Where the tensor data section begins.
    public let dataOffset: Int
    /// In the order the file lists them.
    public let tensors: [TensorEntry]

    public init(parsing bytes: UnsafeRawBufferPointer) throws(GGUFProblem) {
        var reader = ByteReader(bytes)
        do {
            let magic = try reader.readBytes(4)
            guard magic.elementsEqual("GGUF".utf8) else { throw GGUFProblem.badMagic(found: Array(magic)) }
            version = try reader.read(UInt32.self)
            guard version == 2 || version == 3 else { throw GGUFProblem.unsupportedVersion(version) }

            let tensorCount = try reader.read(UInt64.self)
            let keyCount = try reader.read(UInt64.self)
            // Smallest tensor info: empty name (8) + n_dims (4) + type (4) + offset (8).
            try Self.bound(tensorCount, minimumSize: 24, what: "tensor count", at: 8, reader)
            try Self.bound(keyCount, minimumSize: 13, what: "metadata key count", at: 16, reader)

            var metadata: [(key: String, value: GGUFValue)] = []
            metadata.reserveCapacity(min(Int(keyCount), 1 << 12))
            var keys = Set<String>()
            for _ in 0..<keyCount {
                let key = try Self.readString(&reader, what: "metadata key")
                guard keys.insert(key).inserted else { throw GGUFProblem.duplicateKey(key) }
                let code = try reader.read(UInt32.self)
                guard let type = GGUFValueType(rawValue: code) else {
                    throw GGUFProblem.unknownValueType(key: key, code: code)
                }
                metadata.append((key, try Self.readValue(type, key: key, depth: 0, &reader)))
            }
            self.metadata = metadata
            alignment = try Self.alignment(metadata)

            var infos: [(name: String, type: TensorType, shape: [Int], offset: UInt64, bytes: Int)] = []
            infos.reserveCapacity(min(Int(tensorCount), 1 << 12))
            var names = Set<String>()
            for _ in 0..<tensorCount {
                let info = try Self.readTensorInfo(&reader, alignment: alignment)
                guard names.insert(info.name).inserted else { throw GGUFProblem.duplicateTensor(info.name) }
                infos.append(info)
            }

            // The data section starts at the next multiple of the alignment.
            let headerEnd = reader.offset
            dataOffset = (headerEnd + alignment - 1) / alignment * alignment
            tensors = try Self.place(infos, dataOffset: dataOffset, fileSize: bytes.count)
        } catch let truncated as ByteReader.Truncated {
            throw .truncated(offset: truncated.offset, needed: truncated.needed, available: truncated.available)
        } catch let problem as GGUFProblem {
            throw problem
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    public func value(_ key: String) -> GGUFValue? {
        metadata.first { $0.key == key }?.value
    }

    // MARK: - Reading

    /// Rejects a count whose items could not fit in what remains, before anything is sized by it.
    private static func bound(
        _ count: UInt64, minimumSize: Int, what: String, at offset: Int, _ reader: ByteReader
    ) throws(GGUFProblem) {
        guard count <= UInt64(reader.remaining / minimumSize) else {
            throw .impossibleCount(what: what, count: count, offset: offset)
        }
    }

    private static func readString(_ reader: inout ByteReader, what: String) throws -> String {
        let start = reader.offset
        let length = try reader.read(UInt64.self)
        guard length <= UInt64(reader.remaining) else {
            throw GGUFProblem.truncated(offset: reader.offset, needed: Int(clamping: length), available: reader.remaining)
        }
        let bytes = try reader.readBytes(Int(length))
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw GGUFProblem.invalidUTF8(what: what, offset: start)
        }
        return text
    }

    private static func readValue(_ type: GGUFValueType, key: String, depth: Int, _ reader: inout ByteReader) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try reader.read(UInt8.self))
        case .int8: return .int8(try reader.read(Int8.self))
        case .uint16: return .uint16(try reader.read(UInt16.self))
        case .int16: return .int16(try reader.read(Int16.self))
        case .uint32: return .uint32(try reader.read(UInt32.self))
        case .int32: return .int32(try reader.read(Int32.self))
        case .float32: return .float32(try reader.readFloat32())
        case .uint64: return .uint64(try reader.read(UInt64.self))
        case .int64: return .int64(try reader.read(Int64.self))
        case .float64: return .float64(try reader.readFloat64())
        case .bool: return .bool(try readBool(&reader, key: key))
        case .string: return .string(try readString(&reader, what: "value of \"\(key)\""))
        case .array: return .array(try readArray(&reader, key: key, depth: depth + 1))
        }
    }

    private static func readBool(_ reader: inout ByteReader, key: String) throws -> Bool {
        let byte = try reader.read(UInt8.self)
        guard byte <= 1 else { throw GGUFProblem.invalidBool(key: key, byte: byte) }
        return byte == 1
    }

    private static func readArray(_ reader: inout ByteReader, key: String, depth: Int) throws -> GGUFArray {
        guard depth <= maxArrayNesting else { throw GGUFProblem.nestingTooDeep(key: key, limit: maxArrayNesting) }
        let code = try reader.read(UInt32.self)
        guard let type = GGUFValueType(rawValue: code) else { throw GGUFProblem.unknownValueType(key: key, code: code) }
        let count64 = try reader.read(UInt64.self)
        try bound(count64, minimumSize: type.minimumSize, what: "array length of \"\(key)\"", at: reader.offset - 8, reader)
        let count = Int(count64)

        func numbers<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
            let raw = try reader.readBytes(count * MemoryLayout<T>.size)
            return (0..<count).map { T(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) }
        }
        switch type {
        case .uint8: return .uint8(try numbers(UInt8.self))
        case .int8: return .int8(try numbers(Int8.self))
        case .uint16: return .uint16(try numbers(UInt16.self))
        case .int16: return .int16(try numbers(Int16.self))
        case .uint32: return .uint32(try numbers(UInt32.self))
        case .int32: return .int32(try numbers(Int32.self))
        case .uint64: return .uint64(try numbers(UInt64.self))
        case .int64: return .int64(try numbers(Int64.self))
        case .float32: return .float32(try numbers(UInt32.self).map(Float.init(bitPattern:)))
        case .float64: return .float64(try numbers(UInt64.self).map(Double.init(bitPattern:)))
        case .bool: return .bool(try (0..<count).map { _ in try readBool(&reader, key: key) })
        case .string:
            var strings: [String] = []
            strings.reserveCapacity(min(count, 1 << 16))
            for _ in 0..<count { strings.append(try readString(&reader, what: "element of \"\(key)\"")) }
            return .string(strings)
        case .array:
            var arrays: [GGUFArray] = []
            arrays.reserveCapacity(min(count, 1 << 12))
            for _ in 0..<count { arrays.append(try readArray(&reader, key: key, depth: depth + 1)) }
            return .array(arrays)
        }
    }

    private static func alignment(_ metadata: [(key: String, value: GGUFValue)]) throws(GGUFProblem) -> Int {
        guard let value = metadata.first(where: { $0.key == "general.alignment" })?.value else {
            return defaultAlignment
        }
        guard case .uint32(let alignment) = value else {
            throw .badAlignment("must be a UINT32, found \(value.type.name)")
        }
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw .badAlignment("is \(alignment), not a power of two")
        }
        guard alignment <= maxAlignment else {
            throw .badAlignment("is \(alignment), above the \(maxAlignment)-byte limit")
        }
        return Int(alignment)
    }

    private static func readTensorInfo(
        _ reader: inout ByteReader, alignment: Int
    ) throws -> (name: String, type: TensorType, shape: [Int], offset: UInt64, bytes: Int) {
        let name = try readString(&reader, what: "tensor name")
        let dimensionCount = try reader.read(UInt32.self)
        guard dimensionCount <= UInt32(maxDimensions) else {
            throw GGUFProblem.tooManyDimensions(tensor: name, count: dimensionCount, limit: maxDimensions)
        }
        var ne: [Int] = []
        for index in 0..<Int(dimensionCount) {
            let value = try reader.read(UInt64.self)
            guard value <= UInt64(Int64.max) else {
                throw GGUFProblem.badDimension(tensor: name, index: index, value: value)
            }
            ne.append(Int(value))
        }
        guard let elements = elementCount(of: ne) else { throw GGUFProblem.sizeOverflow(tensor: name) }

        let code = try reader.read(UInt32.self)
        guard let type = GGMLTypeCode.tensorType(code) else {
            throw GGUFProblem.unknownTensorType(tensor: name, code: code)
        }
        let innermost = ne.first ?? 1
        guard innermost % type.blockSize == 0 else {
            throw GGUFProblem.notWholeBlocks(tensor: name, type: type, innermost: innermost)
        }
        guard let bytes = type.byteCount(elements: elements) else { throw GGUFProblem.sizeOverflow(tensor: name) }

        let offset = try reader.read(UInt64.self)
        guard offset % UInt64(alignment) == 0 else {
            throw GGUFProblem.misalignedTensor(tensor: name, offset: offset, alignment: alignment)
        }
        return (name, type, ne.reversed(), offset, bytes)
    }

    /// Turns relative offsets into absolute ranges inside the file, with no two overlapping.
    private static func place(
        _ infos: [(name: String, type: TensorType, shape: [Int], offset: UInt64, bytes: Int)],
        dataOffset: Int, fileSize: Int
    ) throws(GGUFProblem) -> [TensorEntry] {
        var entries: [TensorEntry] = []
        entries.reserveCapacity(infos.count)
        for info in infos {
            let (start, startOverflow) = UInt64(dataOffset).addingReportingOverflow(info.offset)
            let (end, endOverflow) = start.addingReportingOverflow(UInt64(info.bytes))
            guard !startOverflow, !endOverflow, end <= UInt64(fileSize) else {
                throw .tensorPastEnd(tensor: info.name, end: endOverflow || startOverflow ? .max : end, fileSize: fileSize)
            }
            entries.append(TensorEntry(name: info.name, type: info.type, shape: info.shape, byteRange: Int(start)..<Int(end)))
        }
        let byStart = entries.sorted { ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound) }
        for (previous, next) in zip(byStart, byStart.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw .overlappingTensors(previous.name, next.name)
        }
        return entries
    }
}
