import Foundation
import RevmuxJSON
import RevmuxTokenizers
import XCTest

/// The SentencePiece components one by one: Precompiled against
/// `tokenizers.normalizers.Precompiled(charsmap).normalize_str` (Tests/Fixtures/tokenizers/t5/
/// precompiled.json), and Metaspace and Unigram against values printed by `tokenizers` 0.23.3.
final class SentencePieceTests: XCTestCase {
    private func t5Normalizer() throws -> Precompiled {
        let root = try T5Fixtures.document("tokenizer.json").root
        return try Precompiled(json: try XCTUnwrap(root["normalizer"]))
    }

    private func json(_ text: String) throws -> JSONDocument {
        try Array(text.utf8).withUnsafeBytes { try JSONDocument(parsing: $0) }
    }

    func testPrecompiledEveryCodePoint() throws {
        let normalizer = try t5Normalizer()
        let reference = try T5Fixtures.document("precompiled.json").root
        var changed: [UInt32: String] = [:]
        for entry in reference["changed_code_points"]?.array ?? [] {
            changed[UInt32(try XCTUnwrap(entry.array?[0].int))] = try XCTUnwrap(entry.array?[1].string)
        }
        XCTAssertGreaterThan(changed.count, 4000)
        var differing: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let text = String(scalar)
            let expected = changed[value] ?? text
            let actual = normalizer.normalize(text)
            if actual.unicodeScalars.elementsEqual(expected.unicodeScalars) { continue }
            differing.append("U+\(String(value, radix: 16, uppercase: true)) → \(actual.debugDescription), expected \(expected.debugDescription)")
        }
        XCTAssertEqual(differing.count, 0, differing.prefix(10).joined(separator: "; "))
    }

    /// A base and a mark make one grapheme: under six bytes, the base's rule may swallow the mark.
    func testPrecompiledGraphemes() throws {
        let normalizer = try t5Normalizer()
        let reference = try T5Fixtures.document("precompiled.json").root
        let bases = T5Fixtures.strings(reference["bases"])
        let marks = T5Fixtures.strings(reference["marks"])
        let pairs = T5Fixtures.strings(reference["pairs"])
        XCTAssertEqual(pairs.count, bases.count * marks.count)
        for (index, expected) in pairs.enumerated() {
            let input = bases[index / marks.count] + marks[index % marks.count]
            XCTAssertEqual(Array(normalizer.normalize(input).unicodeScalars), Array(expected.unicodeScalars), input.debugDescription)
        }
        XCTAssertEqual(normalizer.normalize("\u{FF45}\u{301}"), "e")
    }

    func testPrecompiledAdversarialLines() throws {
        let normalizer = try t5Normalizer()
        let reference = try T5Fixtures.document("precompiled.json").root
        for entry in reference["adversarial"]?.array ?? [] {
            let input = try XCTUnwrap(entry.array?[0].string)
            let expected = try XCTUnwrap(entry.array?[1].string)
            XCTAssertEqual(Array(normalizer.normalize(input).unicodeScalars), Array(expected.unicodeScalars), input.debugDescription)
        }
    }

    func testPrecompiledEmptyAndMalformed() throws {
        let empty = try Precompiled(json: try json(#"{"type": "Precompiled", "precompiled_charsmap": ""}"#).root)
        XCTAssertEqual(empty.normalize("Ａ\u{3000}ｂ"), "Ａ\u{3000}ｂ")
        XCTAssertThrowsError(try Precompiled(json: try json(#"{"type": "Precompiled", "precompiled_charsmap": "not base64!"}"#).root))
        XCTAssertThrowsError(try Precompiled(charsMap: [1, 2]))
        XCTAssertThrowsError(try Precompiled(charsMap: [8, 0, 0, 0, 1, 2, 3, 4]))
        XCTAssertThrowsError(try Precompiled(charsMap: [0, 0, 0, 0, 0xFF]))
        // A trie that matches nothing leaves text alone (`tokenizers` would index out of bounds).
        XCTAssertEqual(try Precompiled(charsMap: [0, 0, 0, 0]).normalize("abc"), "abc")
    }

    func testMetaspaceJSON() throws {
        func parse(_ fields: String) throws -> Metaspace {
            try Metaspace(json: try json(#"{"type": "Metaspace", "# + fields + "}").root)
        }
        let legacy = try parse(#""replacement": "▁", "add_prefix_space": true"#)
        XCTAssertEqual(legacy.prependScheme, .always)
        XCTAssertTrue(legacy.split)
        XCTAssertEqual(try parse(#""replacement": "▁", "add_prefix_space": true, "prepend_scheme": "never""#).prependScheme, .never)
        XCTAssertEqual(try parse(#""replacement": "▁", "add_prefix_space": false, "prepend_scheme": "never""#).prependScheme, .never)
        let first = try parse(#""replacement": "_", "prepend_scheme": "first", "split": false"#)
        XCTAssertEqual(first.replacement, "_")
        XCTAssertEqual(first.prependScheme, .first)
        XCTAssertFalse(first.split)
        // As `tokenizers` refuses them.
        XCTAssertThrowsError(try parse(#""replacement": "▁", "add_prefix_space": false"#))
        XCTAssertThrowsError(try parse(#""replacement": "ab""#))
        XCTAssertThrowsError(try parse(#""replacement": "▁", "prepend_scheme": "First""#))
        XCTAssertThrowsError(try Metaspace(json: try json(#"{"type": "Metaspace"}"#).root))
    }

    func testMetaspaceSplits() {
        func split(_ metaspace: Metaspace, _ text: String, atStart: Bool = true) -> [String] {
            var output: [Piece] = []
            metaspace.split(Piece(text[...], atStart: atStart), into: &output)
            return output.map { String($0.text) }
        }
        let standard = Metaspace()
        XCTAssertEqual(split(standard, "Hey friend!"), ["▁Hey", "▁friend!"])
        XCTAssertEqual(split(standard, "  a  b "), ["▁", "▁a", "▁", "▁b", "▁"])
        XCTAssertEqual(split(standard, "▁▁a"), ["▁", "▁a"])
        XCTAssertEqual(split(standard, "a▁"), ["▁a", "▁"])
        XCTAssertEqual(split(standard, "a\tb\nc"), ["▁a\tb\nc"])
        XCTAssertEqual(split(standard, " \u{301}x"), ["▁\u{301}x"])
        XCTAssertEqual(split(standard, ""), [])
        let first = Metaspace(prependScheme: .first)
        XCTAssertEqual(split(first, "a b"), ["▁a", "▁b"])
        XCTAssertEqual(split(first, "a b", atStart: false), ["a", "▁b"])
        let unsplit = Metaspace(replacement: "_", prependScheme: .always, split: false)
        XCTAssertEqual(split(unsplit, "a b_c  d"), ["_a_b_c__d"])
        XCTAssertEqual(split(unsplit, " x"), ["_x"])
        XCTAssertEqual(split(unsplit, "_x"), ["_x"])
    }

    func testMetaspaceDecoder() {
        XCTAssertEqual(MetaspaceDecoder().decode(["▁▁a", "▁b", "▁", "c▁"]).joined(), "a b c ")
        XCTAssertEqual(MetaspaceDecoder().decode(["▁a", "▁", "▁b"]).joined(), "a  b")
        XCTAssertEqual(MetaspaceDecoder().decode(["a▁▁b"]).joined(), "ab")
        XCTAssertEqual(MetaspaceDecoder(prependScheme: .never).decode(["▁▁a", "▁b", "▁", "c▁"]).joined(), "  a b c ")
    }

    private let small: [(piece: String, score: Double)] = [
        ("<unk>", 0), ("a", 0), ("b", 0), ("c", 0), ("d", 0), ("cd", 1), ("ab", 2), ("abc", 5), ("abcd", 10),
    ]

    private func ids(_ model: Unigram, _ text: String) -> [Int] {
        var ids: [Int] = []
        model.tokenize(text[...], into: &ids)
        return ids
    }

    func testUnigramBestPathAndUnknownRuns() throws {
        let model = try Unigram(vocab: small, unknownId: 0)
        XCTAssertEqual(ids(model, "abcdacdxx"), [8, 1, 5, 0])
        XCTAssertEqual(ids(model, "xxabx"), [0, 6, 0])
        XCTAssertEqual(ids(model, ""), [])
        XCTAssertEqual(model.id(of: "abc"), 7)
        XCTAssertNil(model.id(of: "abcde"))
        XCTAssertNil(model.id(of: ""))
        XCTAssertEqual(model.token(of: 5), "cd")
        XCTAssertThrowsError(try Unigram(vocab: small, unknownId: 9))
    }

    func testUnigramByteFallback() throws {
        let bytes = (0..<256).map { (piece: "<0x" + String($0, radix: 16, uppercase: true).leftPadded(to: 2) + ">", score: -1.0) }
        let model = try Unigram(vocab: small + bytes, unknownId: 0, byteFallback: true)
        XCTAssertEqual(ids(model, "abcdacdxx"), [8, 1, 5, 129, 129])
        XCTAssertEqual(ids(model, "xé☃b"), [129, 204, 178, 235, 161, 140, 2])
        // A run with a byte missing from the vocabulary stays <unk>.
        let partial = try Unigram(vocab: small + bytes.prefix(0x80), unknownId: 0, byteFallback: true)
        XCTAssertEqual(ids(partial, "xxé"), [0])
    }

    func testUnigramDuplicatePieceKeepsLaterId() throws {
        let model = try Unigram(vocab: [("<unk>", 0), ("a", -1), ("b", -1), ("a", -5)], unknownId: 0)
        XCTAssertEqual(ids(model, "aab"), [3, 3, 2])
        XCTAssertEqual(model.id(of: "a"), 3)
    }

    func testUnigramWithoutUnknownIsUnsupported() throws {
        let document = try json(#"{"type": "Unigram", "unk_id": null, "vocab": [["a", -1.0]]}"#)
        XCTAssertThrowsError(try Unigram(json: document.root)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(component: "Unigram model", type: "unk_id null"))
        }
    }
}

private extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
