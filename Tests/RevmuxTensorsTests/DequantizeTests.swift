import Foundation
import RevmuxTensors
import XCTest

/// Checks every kernel against gguf-py's `gguf.quants.dequantize`, bit for bit.
/// Fixtures come from Tests/Fixtures/make_quant_fixtures.py.
final class DequantizeTests: XCTestCase {
    private static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/quant")

    private static let covered: [QuantType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    func testMatchesGGUFPyBitForBit() throws {
        for type in Self.covered {
            let blocks = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(type.name).blocks"))
            let expectedBytes = try Data(contentsOf: Self.fixtures.appendingPathComponent("\(type.name).f32"))
            XCTAssertEqual(blocks.count % type.blockBytes, 0, type.name)
            let count = blocks.count / type.blockBytes * type.blockSize
            XCTAssertEqual(expectedBytes.count, count * 4, type.name)
            let expected = expectedBytes.withUnsafeBytes { raw in
                (0..<count).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
            }

            // Decode from an odd address too: blocks in a mapped file are rarely aligned.
            for shift in [0, 1] {
                var padded = Data(count: shift)
                padded.append(blocks)
                let actual = [Float](unsafeUninitializedCapacity: count) { output, initialized in
                    padded.withUnsafeBytes { raw in
                        type.dequantize(blocks: UnsafeRawBufferPointer(rebasing: raw[shift...]), into: output)
                    }
                    initialized = count
                }
                let mismatches = (0..<count).filter { actual[$0].bitPattern != expected[$0] }
                XCTAssert(
                    mismatches.isEmpty,
                    "\(type.name) (offset \(shift)): \(mismatches.count) of \(count) differ, first at \(mismatches.first ?? 0): "
                        + "\(actual[mismatches.first ?? 0]) vs \(Float(bitPattern: expected[mismatches.first ?? 0]))")
            }
        }
    }

    func testEmptyInputDecodesNothing() {
        for type in Self.covered {
            type.dequantize(blocks: UnsafeRawBufferPointer(start: nil, count: 0), into: UnsafeMutableBufferPointer(start: nil, count: 0))
        }
    }

    func testCanDequantizeOnlyCoveredTypes() {
        for type in QuantType.allCases {
            XCTAssertEqual(type.canDequantize, Self.covered.contains(type), type.name)
        }
    }
}
