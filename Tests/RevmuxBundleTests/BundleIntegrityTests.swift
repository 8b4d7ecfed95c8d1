import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxTensors
import XCTest

/// A small bundle written by `BundleWriter`, corrupted and truncated in memory.
final class BundleIntegrityTests: XCTestCase {
    private func smallBundle() throws -> [UInt8] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-small-\(getpid()).revmux").path
        defer { unlink(path) }
        let writer = try BundleWriter(path: path, overwrite: true)
        var generator = SystemRandomNumberGenerator()
        for (index, shape) in [[4, 8], [3], [2, 2, 16], [40]].enumerated() {
            let values = (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &generator) }
            try values.withUnsafeBytes { try writer.addTensor(name: "t\(index)", type: .scalar(.f32), shape: shape, bytes: $0) }
        }
        try writer.addTokenizer(kind: .tokenizerJSON, bytes: Array(String(repeating: "{\"vocab\": [1, 2, 3]} ", count: 40).utf8))
        try writer.finish(family: .bert, config: ["hidden_size": .int(8)], tasks: [],
                          provenance: Provenance(sources: [], converter: "test", created: "now"))
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Opens (and fully verifies) a bundle held in memory, through a temporary file.
    private func openAndVerify(_ bytes: [UInt8]) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-check-\(getpid()).revmux").path
        defer { unlink(path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let bundle = try BundleFile(path: path)
        try bundle.verify()
    }

    func testEverySampledByteCorruptionIsCaught() throws {
        let bytes = try smallBundle()
        let (header, manifest) = try bytes.withUnsafeBytes { try BundleFile.validate($0) }
        XCTAssertTrue(header.manifestCompressed || header.manifestStoredLength == header.manifestLength)
        // Header, manifest, every tensor and the tokenizer blob: every byte of each.
        var regions: [(String, Range<Int>)] = [("header", 0..<64), ("manifest", 64..<(64 + header.manifestStoredLength))]
        for tensor in manifest.tensors {
            regions.append((tensor.name, (header.dataOffset + tensor.offset)..<(header.dataOffset + tensor.offset + tensor.length)))
        }
        let blob = try XCTUnwrap(manifest.tokenizer?.blob)
        regions.append(("tokenizer", (header.dataOffset + blob.offset)..<(header.dataOffset + blob.offset + blob.storedLength)))
        var checked = 0
        for (name, range) in regions {
            for position in range {
                var corrupt = bytes
                corrupt[position] ^= 0x5A
                XCTAssertThrowsError(try openAndVerify(corrupt), "a change at byte \(position) of \(name) went unnoticed")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 600)
    }

    func testEveryTruncationIsRejectedAtOpen() throws {
        let bytes = try smallBundle()
        XCTAssertNoThrow(try bytes.withUnsafeBytes { try BundleFile.validate($0) })
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try bytes.withUnsafeBytes { try BundleFile.validate(UnsafeRawBufferPointer(rebasing: $0[0..<length])) },
                                 "a bundle cut to \(length) bytes opened")
        }
        var longer = bytes
        longer.append(0)
        XCTAssertThrowsError(try longer.withUnsafeBytes { try BundleFile.validate($0) }, "trailing bytes accepted")
    }

    func testNewerMajorVersionIsRefusedAndUnknownKeysIgnored() throws {
        let bytes = try smallBundle()
        let header = try bytes.withUnsafeBytes { try BundleHeader(parsing: $0) }
        var newer = header
        newer.major = 2
        XCTAssertThrowsError(try (newer.bytes + bytes[64...]).withUnsafeBytes { try BundleFile.validate($0) }) { error in
            XCTAssertEqual(error as? BundleProblem, .newerMajorVersion(major: 2, minor: 0))
        }
        var minor = header
        minor.minor = 7
        XCTAssertNoThrow(try (minor.bytes + bytes[64...]).withUnsafeBytes { try BundleFile.validate($0) }, "a newer minor version is readable")

        // A manifest with keys this version does not know still opens.
        let manifest = try manifestText(bytes, header)
        let extended = "{\"future_section\": {\"x\": [1, 2]}, \"zz_unknown\": true, " + manifest.dropFirst()
        let rebuilt = try rebuild(bytes, header, manifest: Array(extended.utf8))
        let (_, parsed) = try rebuilt.withUnsafeBytes { try BundleFile.validate($0) }
        XCTAssertEqual(parsed.tensors.count, 4)
    }

    private func manifestText(_ bytes: [UInt8], _ header: BundleHeader) throws -> String {
        let stored = Array(bytes[64..<(64 + header.manifestStoredLength)])
        let text = header.manifestCompressed
            ? try stored.withUnsafeBytes { try BundleFile.inflate($0, length: header.manifestLength) } : stored
        return String(decoding: text, as: UTF8.self)
    }

    /// The same bundle with another (uncompressed) manifest; the data section moves as a whole.
    private func rebuild(_ bytes: [UInt8], _ header: BundleHeader, manifest: [UInt8]) throws -> [UInt8] {
        let end = 64 + manifest.count
        let dataOffset = (end + 63) / 64 * 64
        let fresh = BundleHeader(manifestCompressed: false, manifestStoredLength: manifest.count, manifestLength: manifest.count,
                                 manifestCRC: manifest.withUnsafeBytes { crc32($0) }, dataOffset: dataOffset, dataLength: header.dataLength)
        return fresh.bytes + manifest + [UInt8](repeating: 0, count: dataOffset - end) + bytes[header.dataOffset...]
    }
}
