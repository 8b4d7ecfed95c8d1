import Foundation
import RevmuxFormats
import RevmuxJSON
import RevmuxTokenizers
import XCTest

/// A T5-style SentencePiece Unigram tokenizer.json against Hugging Face `tokenizers`, on every
/// line of two real corpora and an adversarial set, plus the same model under other Metaspace
/// settings and a byte-fallback Unigram (Tests/Fixtures/tokenizers/make_t5_fixture.py).
final class T5TokenizerTests: XCTestCase {
    func testCorporaMatchTokenizers() throws {
        let tokenizer = try T5Fixtures.tokenizer("tokenizer.json")
        let expected = try T5Fixtures.expected()
        let corpora = try T5Fixtures.corpora()
        for name in ["rotten_tomatoes", "snli"] {
            let lines = try XCTUnwrap(corpora[name], name)
            let entry = try XCTUnwrap(expected[name], name)
            XCTAssertEqual(lines.count, entry["count"]?.int, name)
            let checksums = try T5Fixtures.checksums(entry["crc32_hex"])
            XCTAssertEqual(checksums.count, lines.count, name)
            var differing: [Int] = []
            for (index, line) in lines.enumerated() where index < checksums.count {
                if T5Fixtures.checksum(tokenizer.encode(line, addSpecialTokens: false).ids) != checksums[index] {
                    differing.append(index)
                }
            }
            XCTAssertEqual(differing.count, 0, "\(name): \(differing.count) of \(lines.count) lines differ from tokenizers, "
                + differing.prefix(5).map { "line \($0) \(lines[$0].debugDescription.prefix(200))" }.joined(separator: "; "))

            for sample in entry["sample"]?.array ?? [] {
                let index = try XCTUnwrap(sample["line"]?.int)
                XCTAssertEqual(tokenizer.encode(lines[index], addSpecialTokens: false).ids, T5Fixtures.ints(sample["ids"]),
                               "\(name) line \(index)")
            }
        }
    }

    /// TemplateProcessing appends </s>; the fixture checked that this holds for every line.
    func testSpecialTokens() throws {
        let tokenizer = try T5Fixtures.tokenizer("tokenizer.json")
        let expected = try T5Fixtures.expected()
        let corpora = try T5Fixtures.corpora()
        for name in ["rotten_tomatoes", "snli"] {
            let lines = try XCTUnwrap(corpora[name], name)
            for sample in expected[name]?["sample"]?.array ?? [] {
                let index = try XCTUnwrap(sample["line"]?.int)
                XCTAssertEqual(tokenizer.encode(lines[index]).ids, T5Fixtures.ints(sample["ids_with_special_tokens"]),
                               "\(name) line \(index)")
            }
        }
        let adversarial = try XCTUnwrap(expected["adversarial"])
        for (line, ids) in zip(T5Fixtures.strings(adversarial["lines"]), adversarial["ids"]?.array ?? []) {
            XCTAssertEqual(tokenizer.encode(line).ids, T5Fixtures.ints(ids) + [1], line.debugDescription)
        }
    }

    func testAdversarialLines() throws {
        let tokenizer = try T5Fixtures.tokenizer("tokenizer.json")
        let adversarial = try XCTUnwrap(try T5Fixtures.expected()["adversarial"])
        let lines = T5Fixtures.strings(adversarial["lines"])
        let ids = adversarial["ids"]?.array ?? []
        XCTAssertEqual(lines.count, ids.count)
        for (line, expected) in zip(lines, ids) {
            XCTAssertEqual(tokenizer.encode(line, addSpecialTokens: false).ids, T5Fixtures.ints(expected), line.debugDescription)
        }
    }

    /// Seeded random short lines mixing marks, compatibility forms, scripts, emoji and controls.
    func testRandomLines() throws {
        let t5 = try T5Fixtures.tokenizer("tokenizer.json")
        let byteFallback = try T5Fixtures.tokenizer("byte_fallback.json")
        let random = try XCTUnwrap(try T5Fixtures.expected()["random"])
        let lines = T5Fixtures.strings(random["lines"])
        let normalized = try T5Fixtures.checksums(random["normalized_crc32_hex"])
        let t5Ids = try T5Fixtures.checksums(random["crc32_hex"])
        let byteFallbackIds = try T5Fixtures.checksums(random["byte_fallback_crc32_hex"])
        XCTAssertEqual(lines.count, 2000)
        for (index, line) in lines.enumerated() {
            let text = try XCTUnwrap(t5.normalizer).normalize(line)
            XCTAssertEqual(Array(text.utf8).withUnsafeBytes { crc32($0) }, normalized[index], "normalized \(line.debugDescription)")
            let ids = t5.encode(line, addSpecialTokens: false).ids
            XCTAssertEqual(T5Fixtures.checksum(ids), t5Ids[index], "t5 \(line.debugDescription): \(ids)")
            let bytes = byteFallback.encode(line, addSpecialTokens: false).ids
            XCTAssertEqual(T5Fixtures.checksum(bytes), byteFallbackIds[index], "byte_fallback \(line.debugDescription): \(bytes)")
        }
    }

    func testDecodeMatchesTokenizers() throws {
        let tokenizer = try T5Fixtures.tokenizer("tokenizer.json")
        let adversarial = try XCTUnwrap(try T5Fixtures.expected()["adversarial"])
        let decoded = T5Fixtures.strings(adversarial["decoded"])
        for (index, ids) in (adversarial["ids"]?.array ?? []).enumerated() {
            XCTAssertEqual(tokenizer.decode(T5Fixtures.ints(ids) + [1]), decoded[index], "adversarial line \(index)")
        }
    }

    /// The T5 model under other Metaspace settings (no WhitespaceSplit, so spaces reach it),
    /// and a byte-fallback Unigram with a "first" prepend scheme.
    func testVariants() throws {
        let base = try T5Fixtures.tokenizer("tokenizer.json")
        let byteFallback = try T5Fixtures.tokenizer("byte_fallback.json")
        let expected = try T5Fixtures.expected()
        let variants = try XCTUnwrap(expected["variants"])
        let lines = T5Fixtures.strings(expected["adversarial"]?["lines"]) + Array(try XCTUnwrap(T5Fixtures.corpora()["snli"]).prefix(300))

        for name in ["metaspace_first", "metaspace_never_nosplit", "metaspace_always_nosplit"] {
            let variant = try XCTUnwrap(variants[name], name)
            let tokenizer = Tokenizer(
                addedTokens: base.addedVocabulary.tokens, normalizer: base.normalizer,
                preTokenizer: try Metaspace(json: try XCTUnwrap(variant["pre_tokenizer"])), model: base.model,
                postProcessor: nil, decoder: nil)
            try assertChecksums(tokenizer, lines, variant, name)
        }
        let variant = try XCTUnwrap(variants["byte_fallback"])
        try assertChecksums(byteFallback, lines, variant, "byte_fallback")
        for sample in variant["sample"]?.array ?? [] {
            let index = try XCTUnwrap(sample["line"]?.int)
            XCTAssertEqual(byteFallback.encode(lines[index], addSpecialTokens: false).ids, T5Fixtures.ints(sample["ids"]),
                           "byte_fallback line \(index) \(lines[index].debugDescription)")
        }
    }

    private func assertChecksums(_ tokenizer: Tokenizer, _ lines: [String], _ variant: JSONValue, _ name: String) throws {
        let checksums = try T5Fixtures.checksums(variant["crc32_hex"])
        XCTAssertEqual(checksums.count, lines.count, name)
        for (index, line) in lines.enumerated() where index < checksums.count {
            let ids = tokenizer.encode(line, addSpecialTokens: false).ids
            XCTAssertEqual(T5Fixtures.checksum(ids), checksums[index], "\(name) line \(index) \(line.debugDescription): \(ids)")
        }
    }

    /// The scores as `tokenizers` reads them from the file: serde_json rounds some 17-digit
    /// literals differently from a correctly rounded parse.
    func testScoresReadAsTokenizersReadsThem() throws {
        let tokenizer = try T5Fixtures.tokenizer("tokenizer.json")
        let unigram = try XCTUnwrap(tokenizer.model as? Unigram)
        let expected = try XCTUnwrap(try T5Fixtures.expected()["scores"])
        XCTAssertEqual(unigram.scores.count, expected["count"]?.int)
        var bytes: [UInt8] = []
        for score in unigram.scores { withUnsafeBytes(of: score.bitPattern.littleEndian) { bytes += $0 } }
        XCTAssertEqual(bytes.withUnsafeBytes { crc32($0) }, UInt32(try XCTUnwrap(expected["crc32"]?.int)))
        XCTAssertGreaterThan(try XCTUnwrap(expected["differ_from_correct_rounding"]?.int), 0)
    }

    func testScoreLiterals() throws {
        for entry in try T5Fixtures.expected()["score_literals"]?.array ?? [] {
            let literal = try XCTUnwrap(entry.array?[0].string)
            let text = #"{"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", "# + literal + "]]}"
            let document = try Array(text.utf8).withUnsafeBytes { try JSONDocument(parsing: $0) }
            if let bits = entry.array?[1].string.flatMap({ UInt64($0, radix: 16) }) {
                let unigram = try Unigram(json: document.root)
                XCTAssertEqual(unigram.scores[1].bitPattern, bits, "\(literal) read as \(unigram.scores[1])")
            } else {
                XCTAssertThrowsError(try Unigram(json: document.root), literal)
            }
        }
    }
}

/// The T5 fixture files and the corpora they were made from.
enum T5Fixtures {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let folder = repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizers/t5")

    static func document(_ name: String) throws -> JSONDocument {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try data.withUnsafeBytes { try JSONDocument(parsing: $0) }
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(tokenizerJSON: try document(name).root)
    }

    static func expected() throws -> JSONValue {
        try document("expected.json").root
    }

    /// The corpora, line by line, as the fixture script defines them (it fetches the assets).
    static func corpora() throws -> [String: [String]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "Tests/Fixtures/tokenizers/make_t5_fixture.py", "--lines"]
        process.currentDirectoryURL = repositoryRoot
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "make_t5_fixture.py --lines failed (status \(process.terminationStatus))")
        }
        let document = try printed.withUnsafeBytes { try JSONDocument(parsing: $0) }
        var corpora: [String: [String]] = [:]
        for (name, lines) in document.root.entries ?? [] { corpora[name] = strings(lines) }
        return corpora
    }

    static func strings(_ json: JSONValue?) -> [String] {
        (json?.array ?? []).map { $0.string ?? "" }
    }

    static func ints(_ json: JSONValue?) -> [Int] {
        (json?.array ?? []).map { $0.int ?? -1 }
    }

    /// `crc32_hex`: 8 hex digits per line.
    static func checksums(_ json: JSONValue?) throws -> [UInt32] {
        guard let text = json?.string, text.utf8.count % 8 == 0 else { throw Failure(description: "bad crc32_hex") }
        let digits = Array(text.utf8)
        return try stride(from: 0, to: digits.count, by: 8).map { start in
            guard let value = UInt32(String(decoding: digits[start..<start + 8], as: UTF8.self), radix: 16) else {
                throw Failure(description: "bad crc32_hex at \(start)")
            }
            return value
        }
    }

    /// zlib.crc32 of the ids as little-endian uint32s.
    static func checksum(_ ids: [Int]) -> UInt32 {
        let words = ids.map { UInt32(truncatingIfNeeded: $0).littleEndian }
        return words.withUnsafeBytes { crc32($0) }
    }
}
