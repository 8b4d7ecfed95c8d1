import Foundation
import RevmuxFormats
import RevmuxTensors
import XCTest

/// Checks the GGUF reader against what gguf-py (`GGUFReader`, `gguf.quants.dequantize`) reads
/// back from the committed kitchen-sink fixtures (Tests/Fixtures/make_format_fixtures.py).
final class GGUFReferenceTests: XCTestCase {
    private static let folder = ReferenceFixtures.root.appendingPathComponent("formats/gguf")

    func testKitchenSinkMatchesReference() throws {
        try check("kitchen-sink.gguf", version: 3)
    }

    func testKitchenSinkVersion2MatchesReference() throws {
        try check("kitchen-sink-v2.gguf", version: 2)
    }

    private func check(_ name: String, version: UInt32) throws {
        let expected = try ReferenceFixtures.object(folder: Self.folder, "kitchen-sink.expected.json")
        let file = try GGUFFile(path: Self.folder.appendingPathComponent(name).path)
        let layout = file.layout

        XCTAssertEqual(try ReferenceFixtures.int(expected["version"]), 3)
        XCTAssertEqual(layout.version, version, name)
        XCTAssertEqual(file.file.count, try ReferenceFixtures.int(expected["file_size"]), name)
        XCTAssertEqual(layout.alignment, try ReferenceFixtures.int(expected["alignment"]), name)
        XCTAssertEqual(layout.dataOffset, try ReferenceFixtures.int(expected["data_offset"]), name)

        // Metadata: every key in file order, with its exact type and value.
        let metadata = try XCTUnwrap(expected["metadata"] as? [[String: Any]])
        XCTAssertEqual(metadata.count, try ReferenceFixtures.int(expected["kv_count"]))
        XCTAssertEqual(layout.metadata.map(\.key), try metadata.map { try XCTUnwrap($0["key"] as? String) }, name)
        for (actual, want) in zip(layout.metadata, metadata) {
            let key = try XCTUnwrap(want["key"] as? String)
            let type = try XCTUnwrap(want["type"] as? String)
            let what = "\(name): \(key)"
            XCTAssertEqual(Array(actual.key.utf8), Array(key.utf8), what)
            if type == "ARRAY" {
                guard case .array(let array) = actual.value else {
                    XCTFail("\(what): expected an ARRAY, found \(actual.value.type.name)")
                    continue
                }
                try GGUFReference.checkArray(
                    array, elementType: try XCTUnwrap(want["array_type"] as? String, what),
                    values: try XCTUnwrap(want["value"] as? [Any], what), what)
            } else {
                try GGUFReference.checkScalar(actual.value, type: type, expected: want["value"], what)
            }
            // value(_:) finds the same entry.
            XCTAssertEqual(layout.value(key)?.type, actual.value.type, what)
        }

        // Tensors, in the order the file lists them.
        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, try ReferenceFixtures.int(expected["tensor_count"]))
        XCTAssertEqual(file.tensors.map(\.name), try tensors.map { try XCTUnwrap($0["name"] as? String) }, name)
        var typesSeen = Set<String>()
        for (entry, want) in zip(file.tensors, tensors) {
            let tensorName = try XCTUnwrap(want["name"] as? String)
            let what = "\(name): \(tensorName)"
            let typeName = try XCTUnwrap(want["type"] as? String)
            let type = try XCTUnwrap(ReferenceFixtures.tensorType(typeName), "unknown type \(typeName)")
            let shape = try ReferenceFixtures.ints(want["shape"])
            let offset = try ReferenceFixtures.int(want["offset"])
            let byteCount = try ReferenceFixtures.int(want["n_bytes"])
            typesSeen.insert(typeName)

            XCTAssertEqual(shape, Array(try ReferenceFixtures.ints(want["ne"]).reversed()), "fixture: shape is ne reversed")
            XCTAssertEqual(entry.type, type, what)
            XCTAssertEqual(entry.type.description, typeName, what)
            XCTAssertEqual(entry.shape, shape, what)
            XCTAssertEqual(entry.elementCount, try ReferenceFixtures.int(want["n_elements"]), what)
            XCTAssertEqual(entry.byteRange, offset..<(offset + byteCount), what)

            let view = try XCTUnwrap(file.tensor(named: tensorName), what)
            XCTAssertEqual(view.name, tensorName)
            XCTAssertEqual(view.type, type, what)
            XCTAssertEqual(view.shape, shape, what)
            XCTAssertEqual(view.fileOffset, offset, what)
            XCTAssertEqual(crc32(view.data), UInt32(try ReferenceFixtures.u64(want["crc32"])), what)
            ReferenceFixtures.assertFloats(try view.floats(), try ReferenceFixtures.u32s(want["f32_bits"]), what)
        }
        XCTAssertNil(file.tensor(named: "missing"))
        // The fixture covers every type the README lists, including all five K-quants.
        XCTAssertTrue(
            typesSeen.isSuperset(of: ["F32", "F16", "BF16", "I8", "I16", "I32", "I64", "F64", "Q4_0", "Q4_1", "Q5_0",
                                      "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]), "\(typesSeen)")
    }
}

/// Comparing GGUF metadata with the reference JSON: FLOAT32/FLOAT64 values are `{"bits": N}`,
/// strings are compared as exact UTF-8 bytes, integers through their exact digits.
enum GGUFReference {
    static func checkScalar(
        _ value: GGUFValue, type: String, expected: Any?, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(value.type.name, type, what, file: file, line: line)
        func bits() throws -> UInt64 {
            try ReferenceFixtures.u64((expected as? [String: Any])?["bits"])
        }
        switch value {
        case .uint8(let v): XCTAssertEqual(UInt64(v), try ReferenceFixtures.u64(expected), what, file: file, line: line)
        case .uint16(let v): XCTAssertEqual(UInt64(v), try ReferenceFixtures.u64(expected), what, file: file, line: line)
        case .uint32(let v): XCTAssertEqual(UInt64(v), try ReferenceFixtures.u64(expected), what, file: file, line: line)
        case .uint64(let v): XCTAssertEqual(v, try ReferenceFixtures.u64(expected), what, file: file, line: line)
        case .int8(let v): XCTAssertEqual(Int64(v), try ReferenceFixtures.i64(expected), what, file: file, line: line)
        case .int16(let v): XCTAssertEqual(Int64(v), try ReferenceFixtures.i64(expected), what, file: file, line: line)
        case .int32(let v): XCTAssertEqual(Int64(v), try ReferenceFixtures.i64(expected), what, file: file, line: line)
        case .int64(let v): XCTAssertEqual(v, try ReferenceFixtures.i64(expected), what, file: file, line: line)
        case .float32(let v): XCTAssertEqual(UInt64(v.bitPattern), try bits(), what, file: file, line: line)
        case .float64(let v): XCTAssertEqual(v.bitPattern, try bits(), what, file: file, line: line)
        case .bool(let v):
            let want = try XCTUnwrap(expected as? Bool, what, file: file, line: line)
            XCTAssertEqual(v, want, what, file: file, line: line)
        case .string(let v):
            let want = try XCTUnwrap(expected as? String, what, file: file, line: line)
            XCTAssertEqual(Array(v.utf8), Array(want.utf8), "\(what): \(v) vs \(want)", file: file, line: line)
        case .array:
            XCTFail("\(what): unexpected ARRAY", file: file, line: line)
        }
    }

    /// Element type, length and every element; nested arrays are `{"array_type", "value"}` objects.
    static func checkArray(
        _ array: GGUFArray, elementType: String, values: [Any], _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        XCTAssertEqual(array.elementType.name, elementType, what, file: file, line: line)
        guard array.count == values.count else {
            return XCTFail("\(what): \(array.count) elements, expected \(values.count)", file: file, line: line)
        }
        for (index, want) in values.enumerated() {
            let element = array[index]
            let path = "\(what)[\(index)]"
            if elementType == "ARRAY" {
                guard case .array(let inner) = element else {
                    XCTFail("\(path): expected an ARRAY, found \(element.type.name)", file: file, line: line)
                    continue
                }
                let object = try XCTUnwrap(want as? [String: Any], path, file: file, line: line)
                try checkArray(
                    inner, elementType: try XCTUnwrap(object["array_type"] as? String, path, file: file, line: line),
                    values: try XCTUnwrap(object["value"] as? [Any], path, file: file, line: line), path,
                    file: file, line: line)
            } else {
                try checkScalar(element, type: elementType, expected: want, path, file: file, line: line)
            }
        }
    }

    /// CRC-32 of an array as make_model_references.py computes it: strings as their UTF-8
    /// bytes each followed by one 0x00; numbers (and bools, as one byte) as the little-endian
    /// bytes of their GGUF type. Nil for nested arrays, which the script does not summarise.
    static func crc(_ array: GGUFArray) -> UInt32? {
        func littleEndian<T: FixedWidthInteger>(_ values: [T]) -> UInt32 {
            values.map(\.littleEndian).withUnsafeBytes { crc32($0) }
        }
        switch array {
        case .uint8(let a): return littleEndian(a)
        case .int8(let a): return littleEndian(a)
        case .uint16(let a): return littleEndian(a)
        case .int16(let a): return littleEndian(a)
        case .uint32(let a): return littleEndian(a)
        case .int32(let a): return littleEndian(a)
        case .uint64(let a): return littleEndian(a)
        case .int64(let a): return littleEndian(a)
        case .float32(let a): return littleEndian(a.map(\.bitPattern))
        case .float64(let a): return littleEndian(a.map(\.bitPattern))
        case .bool(let a): return littleEndian(a.map { $0 ? UInt8(1) : 0 })
        case .string(let a):
            var bytes: [UInt8] = []
            bytes.reserveCapacity(a.reduce(0) { $0 + $1.utf8.count + 1 })
            for string in a {
                bytes.append(contentsOf: string.utf8)
                bytes.append(0)
            }
            return bytes.withUnsafeBytes { crc32($0) }
        case .array: return nil
        }
    }
}
