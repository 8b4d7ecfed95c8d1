import Foundation
import RevmuxFormats
import RevmuxTensors
import XCTest

/// Checks the safetensors readers against what the reference Python `safetensors`
/// package reads back from the committed fixtures (Tests/Fixtures/make_format_fixtures.py).
final class SafetensorsReferenceTests: XCTestCase {
    private static let folder = ReferenceFixtures.root.appendingPathComponent("formats/safetensors")

    // MARK: - dtypes.safetensors

    func testDTypesFileMatchesReference() throws {
        let expected = try ReferenceFixtures.object(folder: Self.folder, "dtypes.expected.json")
        let path = Self.folder.appendingPathComponent("dtypes.safetensors").path
        let file = try SafetensorsFile(path: path)

        let headerLength = try ReferenceFixtures.int(expected["header_length"])
        XCTAssertEqual(file.file.count, try ReferenceFixtures.int(expected["file_size"]))
        XCTAssertEqual(file.layout.headerLength, headerLength)
        XCTAssertEqual(file.layout.dataOffset, 8 + headerLength)
        XCTAssertEqual(file.layout.metadata, try XCTUnwrap(expected["metadata"] as? [String: String]))
        // Exact UTF-8, not just canonical equivalence (Swift's String ==).
        for (key, value) in try XCTUnwrap(expected["metadata"] as? [String: String]) {
            XCTAssertEqual(file.layout.metadata[key].map { Array($0.utf8) }, Array(value.utf8), key)
        }

        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
        let headerKeys = try XCTUnwrap(expected["header_key_order"] as? [String])
        XCTAssertEqual(Set(headerKeys), Set(tensors.map { $0["name"] as? String ?? "" }))
        // The layout lists tensors in offset order, as the expected file does.
        XCTAssertEqual(file.tensors.map(\.name), try tensors.map { try XCTUnwrap($0["name"] as? String) })
        XCTAssertEqual(file.tensors.count, 17)

        for (entry, want) in zip(file.tensors, tensors) {
            let name = try XCTUnwrap(want["name"] as? String)
            let dtype = try XCTUnwrap(DType(rawValue: try XCTUnwrap(want["dtype"] as? String)), name)
            let shape = try ReferenceFixtures.ints(want["shape"])
            let offsets = try ReferenceFixtures.ints(want["data_offsets"])
            let range = (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1])

            XCTAssertEqual(entry.name, name)
            XCTAssertEqual(entry.type, .scalar(dtype), name)
            XCTAssertEqual(entry.shape, shape, name)
            XCTAssertEqual(entry.byteRange, range, name)

            let view = try XCTUnwrap(file.tensor(named: name), name)
            XCTAssertEqual(view.name, name)
            XCTAssertEqual(view.type, .scalar(dtype), name)
            XCTAssertEqual(view.shape, shape, name)
            XCTAssertEqual(view.fileOffset, range.lowerBound, name)
            XCTAssertEqual(view.data.count, range.count, name)
            XCTAssertEqual(Array(view.data), try ReferenceFixtures.bytes(hex: try XCTUnwrap(want["raw_hex"] as? String)), name)

            let bits = try ReferenceFixtures.u32s(want["f32_bits"])
            XCTAssertEqual(view.elementCount, bits.count, name)
            ReferenceFixtures.assertFloats(try view.floats(), bits, name)
        }
        XCTAssertNil(file.tensor(named: "__metadata__"))
        XCTAssertNil(file.tensor(named: "missing"))
    }

    // MARK: - Sharded checkpoint

    private static let shardedFolder = folder.appendingPathComponent("sharded")
    private static let shard1 = "model-00001-of-00002.safetensors"
    private static let shard2 = "model-00002-of-00002.safetensors"

    func testShardedCheckpointMatchesReference() throws {
        let expected = try ReferenceFixtures.object(folder: Self.shardedFolder, "sharded.expected.json")
        let indexPath = Self.shardedFolder.appendingPathComponent(try XCTUnwrap(expected["index"] as? String)).path
        let sharded = try ShardedSafetensors(indexPath: indexPath)

        let shardNames = try XCTUnwrap(expected["shards"] as? [String])
        XCTAssertEqual(sharded.shards.map { URL(fileURLWithPath: $0.path).lastPathComponent }, shardNames)
        let tensors = try XCTUnwrap(expected["tensors"] as? [[String: Any]])
        XCTAssertEqual(sharded.tensors.count, tensors.count)
        XCTAssertEqual(sharded.shardOfTensor.count, tensors.count)
        XCTAssertEqual(sharded.tensors.reduce(0) { $0 + $1.entry.byteRange.count }, try ReferenceFixtures.int(expected["total_size"]))

        for want in tensors {
            let name = try XCTUnwrap(want["name"] as? String)
            let shardName = try XCTUnwrap(want["shard"] as? String)
            let position = try XCTUnwrap(shardNames.firstIndex(of: shardName), name)
            let shard = sharded.shards[position]
            // The header length comes from the shard's own first 8 bytes, not from the reader.
            let headerLength = try Self.headerLength(Self.shardedFolder.appendingPathComponent(shardName))
            let dtype = try XCTUnwrap(DType(rawValue: try XCTUnwrap(want["dtype"] as? String)), name)
            let shape = try ReferenceFixtures.ints(want["shape"])
            let offsets = try ReferenceFixtures.ints(want["data_offsets"])
            let range = (8 + headerLength + offsets[0])..<(8 + headerLength + offsets[1])
            let crc = UInt32(try ReferenceFixtures.u64(want["crc32"]))

            XCTAssertEqual(sharded.shardOfTensor[name], position, name)
            let entry = try XCTUnwrap(shard.tensors.first { $0.name == name }, "\(name) is not in \(shardName)")
            XCTAssertEqual(entry.type, .scalar(dtype), name)
            XCTAssertEqual(entry.shape, shape, name)
            XCTAssertEqual(entry.byteRange, range, name)
            XCTAssertEqual(crc32(shard.file.tensor(entry).data), crc, name)
            for (other, otherShard) in sharded.shards.enumerated() where other != position {
                XCTAssertNil(otherShard.tensor(named: name), "\(name) also in \(shardNames[other])")
            }

            let view = try XCTUnwrap(sharded.tensor(named: name), name)
            XCTAssertEqual(view.name, name)
            XCTAssertEqual(view.type, .scalar(dtype), name)
            XCTAssertEqual(view.shape, shape, name)
            XCTAssertEqual(view.fileOffset, range.lowerBound, name)
            XCTAssertEqual(view.storage.path, shard.path, name)
            XCTAssertEqual(crc32(view.data), crc, name)
        }
        XCTAssertNil(sharded.tensor(named: "model.missing"))
    }

    /// The original weight map, in the index's own order.
    private static let weightMap: [(String, String)] = [
        ("model.embed_tokens.weight", shard1),
        ("model.layers.0.attn.q_proj.bias", shard1),
        ("model.layers.0.attn.q_proj.weight", shard1),
        ("model.layers.1.mlp.up_proj.weight", shard2),
        ("model.norm.weight", shard2),
        ("model.position_ids", shard2),
    ]

    func testCopiedFolderOpens() throws {
        // The baseline for the failure cases below: the unmodified copy opens.
        let folder = try Self.copyShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeIndex(Self.weightMap, in: folder)
        let sharded = try ShardedSafetensors(indexPath: folder.appendingPathComponent("model.safetensors.index.json").path)
        XCTAssertEqual(sharded.tensors.count, 6)
    }

    func testTensorMissingFromWeightMapFails() throws {
        let folder = try Self.copyShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeIndex(Self.weightMap.filter { $0.0 != "model.norm.weight" }, in: folder)
        try Self.assertIndexProblem(folder, .unmappedTensor(tensor: "model.norm.weight", shard: Self.shard2))
    }

    func testTensorDuplicatedIntoOtherShardFails() throws {
        let folder = try Self.copyShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeIndex(Self.weightMap, in: folder)
        // Rewrite shard 2 with a copy of shard 1's embedding appended.
        let shard1 = try SafetensorsFile(path: folder.appendingPathComponent(Self.shard1).path)
        let embedding = try XCTUnwrap(shard1.tensor(named: "model.embed_tokens.weight"))
        try Self.appendTensor(
            to: folder.appendingPathComponent(Self.shard2), name: "model.embed_tokens.weight",
            dtype: "F32", shape: embedding.shape, data: Array(embedding.data))
        // The rewritten shard is itself valid.
        let rewritten = try SafetensorsFile(path: folder.appendingPathComponent(Self.shard2).path)
        XCTAssertEqual(rewritten.tensors.count, 4)
        XCTAssertEqual(rewritten.tensor(named: "model.embed_tokens.weight").map { Array($0.data) }, Array(embedding.data))

        try Self.assertIndexProblem(
            folder, .tensorInTwoShards(tensor: "model.embed_tokens.weight", first: Self.shard1, second: Self.shard2))
    }

    func testShardNameOutsideFolderFails() throws {
        let folder = try Self.copyShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A real shard one level up, so only the name check can stop it.
        try FileManager.default.copyItem(
            at: folder.appendingPathComponent(Self.shard2),
            to: folder.deletingLastPathComponent().appendingPathComponent("x.safetensors"))
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().appendingPathComponent("x.safetensors")) }
        let map = Self.weightMap.map { $0.1 == Self.shard2 ? ($0.0, "../x.safetensors") : $0 }
        try Self.writeIndex(map, in: folder)
        try Self.assertIndexProblem(folder, .unsafeShardName("../x.safetensors"))
    }

    func testTensorMappedToWrongShardFails() throws {
        let folder = try Self.copyShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let map = Self.weightMap.map { $0.0 == "model.norm.weight" ? ($0.0, Self.shard1) : $0 }
        try Self.writeIndex(map, in: folder)
        try Self.assertIndexProblem(
            folder, .tensorInWrongShard(tensor: "model.norm.weight", mapped: Self.shard1, found: Self.shard2))
    }

    func testMappedTensorAbsentFromShardFails() throws {
        let folder = try Self.copyShardedFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.writeIndex(Self.weightMap + [("model.ghost.weight", Self.shard1)], in: folder)
        try Self.assertIndexProblem(folder, .missingTensor(tensor: "model.ghost.weight", shard: Self.shard1))
    }

    // MARK: - Helpers

    private static func headerLength(_ url: URL) throws -> Int {
        let data = try Data(contentsOf: url)
        XCTAssertGreaterThanOrEqual(data.count, 8)
        return Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
    }

    /// A copy of the sharded fixture folder at `<temp>/<unique>/sharded/`.
    private static func copyShardedFolder() throws -> URL {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-sharded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let folder = parent.appendingPathComponent("sharded")
        try FileManager.default.copyItem(at: shardedFolder, to: folder)
        return folder
    }

    /// Writes the index with the weight map in exactly the given order (shard order follows it).
    private static func writeIndex(_ map: [(String, String)], in folder: URL) throws {
        func quoted(_ text: String) throws -> String {
            let data = try JSONSerialization.data(withJSONObject: [text], options: [.fragmentsAllowed])
            let array = String(decoding: data, as: UTF8.self)
            return String(array.dropFirst().dropLast())
        }
        var text = "{\n \"metadata\": {\"total_size\": 304},\n \"weight_map\": {\n"
        text += try map.map { "  \(try quoted($0.0)): \(try quoted($0.1))" }.joined(separator: ",\n")
        text += "\n }\n}\n"
        try Data(text.utf8).write(to: folder.appendingPathComponent("model.safetensors.index.json"))
    }

    /// Rewrites a safetensors file with one more tensor at the end of its data.
    private static func appendTensor(to url: URL, name: String, dtype: String, shape: [Int], data: [UInt8]) throws {
        let original = try Data(contentsOf: url)
        let length = try headerLength(url)
        var header = try XCTUnwrap(
            JSONSerialization.jsonObject(with: original.subdata(in: 8..<(8 + length))) as? [String: Any])
        let dataSection = original.subdata(in: (8 + length)..<original.count)
        header[name] = ["dtype": dtype, "shape": shape, "data_offsets": [dataSection.count, dataSection.count + data.count]]
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var output = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { output.append(contentsOf: $0) }
        output.append(json)
        output.append(dataSection)
        output.append(contentsOf: data)
        try output.write(to: url)
    }

    private static func assertIndexProblem(
        _ folder: URL, _ expected: ShardIndexProblem, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let indexPath = folder.appendingPathComponent("model.safetensors.index.json").path
        do {
            let sharded = try ShardedSafetensors(indexPath: indexPath)
            XCTFail("opened with \(sharded.tensors.count) tensors; expected \(expected)", file: file, line: line)
        } catch {
            guard case .index(let formatError) = error else {
                return XCTFail("expected \(expected), got \(error)", file: file, line: line)
            }
            XCTAssertEqual(formatError.problem, expected, file: file, line: line)
            XCTAssertEqual(formatError.path, indexPath, file: file, line: line)
        }
    }
}

/// Reading the reference fixtures' JSON (Tests/Fixtures/README.md describes the conventions).
enum ReferenceFixtures {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    struct BadValue: Error, CustomStringConvertible {
        let description: String
    }

    static func object(folder: URL, _ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw BadValue(description: "\(name) is not a JSON object")
        }
        return object
    }

    /// An integer, read from the number's own digits so that no 64-bit value goes through Double.
    static func digits(_ value: Any?) throws -> String {
        guard let number = value as? NSNumber else {
            throw BadValue(description: "expected an integer, found \(String(describing: value))")
        }
        return "\(number)"
    }

    static func u64(_ value: Any?) throws -> UInt64 {
        guard let result = UInt64(try digits(value)) else {
            throw BadValue(description: "expected an unsigned 64-bit integer, found \(String(describing: value))")
        }
        return result
    }

    static func i64(_ value: Any?) throws -> Int64 {
        guard let result = Int64(try digits(value)) else {
            throw BadValue(description: "expected a signed 64-bit integer, found \(String(describing: value))")
        }
        return result
    }

    static func int(_ value: Any?) throws -> Int { Int(try i64(value)) }

    static func ints(_ value: Any?) throws -> [Int] {
        guard let array = value as? [Any] else { throw BadValue(description: "expected an array, found \(String(describing: value))") }
        return try array.map(int)
    }

    static func u32s(_ value: Any?) throws -> [UInt32] {
        guard let array = value as? [Any] else { throw BadValue(description: "expected an array, found \(String(describing: value))") }
        return try array.map { value in
            guard let bits = UInt32(exactly: try u64(value)) else { throw BadValue(description: "\(value) is not a uint32") }
            return bits
        }
    }

    static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { throw BadValue(description: "odd-length hex") }
        return try stride(from: 0, to: digits.count, by: 2).map { i in
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else {
                throw BadValue(description: "bad hex at \(i)")
            }
            return byte
        }
    }

    /// `TensorType` from its safetensors dtype or GGML type name.
    static func tensorType(_ name: String) -> TensorType? {
        if let dtype = DType(rawValue: name) { return .scalar(dtype) }
        return QuantType.allCases.first { $0.name == name }.map(TensorType.quantized)
    }

    /// Bit-for-bit equality, except that any NaN matches any NaN (converters differ in payloads).
    static func sameFloat(_ actual: Float, _ expectedBits: UInt32) -> Bool {
        let expected = Float(bitPattern: expectedBits)
        return expected.isNaN ? actual.isNaN : actual.bitPattern == expectedBits
    }

    static func assertFloats<C: Collection>(
        _ actual: C, _ expected: [UInt32], _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) where C.Element == Float {
        guard actual.count == expected.count else {
            return XCTFail("\(what): \(actual.count) floats, expected \(expected.count)", file: file, line: line)
        }
        let mismatches = zip(actual, expected).enumerated().filter { !sameFloat($0.element.0, $0.element.1) }
        if let first = mismatches.first {
            XCTFail(
                "\(what): \(mismatches.count) of \(expected.count) floats differ; first at \(first.offset): "
                    + "0x\(String(first.element.0.bitPattern, radix: 16)) (\(first.element.0)) vs "
                    + "0x\(String(first.element.1, radix: 16)) (\(Float(bitPattern: first.element.1)))",
                file: file, line: line)
        }
    }
}
