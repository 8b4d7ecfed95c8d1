import Foundation
import RevmuxJSON
import RevmuxTokenizers
import XCTest

/// Each BERT-path component against Hugging Face `tokenizers` on adversarial inputs, and
/// the character classes behind them on every code point
/// (Tests/Fixtures/tokenizers/make_bert_fixtures.py).
final class BertComponentTests: XCTestCase {
    private static let components = Result { try BertFixtures.document(at: BertFixtures.fixture("bert/components.json")) }

    private func components() throws -> JSONValue {
        try Self.components.get().root
    }

    func testNormalizers() throws {
        let root = try components()
        let inputs = BertFixtures.strings(root["inputs"])
        let entries = try XCTUnwrap(root["normalizers"]?.array)
        XCTAssertEqual(entries.count, 21)
        var checked = 0
        for entry in entries {
            let normalizer = try XCTUnwrap(try BertFixtures.tokenizer(entry["tokenizer"]).normalizer)
            for (input, expected) in zip(inputs, BertFixtures.strings(entry["outputs"])) {
                let actual = normalizer.normalize(input)
                XCTAssertEqual(BertFixtures.scalars(actual), BertFixtures.scalars(expected), "\(normalizer) on \(input.debugDescription): \(actual.debugDescription)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 21 * inputs.count)
    }

    func testPreTokenizers() throws {
        let root = try components()
        let inputs = BertFixtures.strings(root["inputs"])
        let entries = try XCTUnwrap(root["pre_tokenizers"]?.array)
        XCTAssertEqual(entries.count, 11)
        for entry in entries {
            let preTokenizer = try XCTUnwrap(try BertFixtures.tokenizer(entry["tokenizer"]).preTokenizer)
            for (input, expected) in zip(inputs, try XCTUnwrap(entry["outputs"]?.array)) {
                var pieces: [Piece] = []
                preTokenizer.split(Piece(Substring(input), atStart: true), into: &pieces)
                let actual = pieces.map { BertFixtures.scalars(String($0.text)) }
                XCTAssertEqual(actual, BertFixtures.strings(expected).map(BertFixtures.scalars),
                               "\(preTokenizer) on \(input.debugDescription): \(pieces.map(\.text))")
            }
        }
    }

    func testDecoders() throws {
        let root = try components()
        let tokenLists = try XCTUnwrap(root["token_lists"]?.array).map(BertFixtures.strings)
        let entries = try XCTUnwrap(root["decoders"]?.array)
        XCTAssertEqual(entries.count, 8)
        for entry in entries {
            let decoder = try XCTUnwrap(try BertFixtures.tokenizer(entry["tokenizer"]).decoder)
            for (tokens, expected) in zip(tokenLists, try XCTUnwrap(entry["outputs"]?.array)) {
                // tokenizers panics there (Strip with tokens shorter than start + stop).
                guard let expected = expected.string else { continue }
                let actual = decoder.decode(tokens).joined()
                XCTAssertEqual(BertFixtures.scalars(actual), BertFixtures.scalars(expected), "\(decoder) on \(tokens): \(actual.debugDescription)")
            }
        }
    }

    /// WordLevel and WordPiece models under each post-processor, singles and pairs, with and
    /// without special tokens, with truncation leaving room for them.
    func testModelsAndPostProcessors() throws {
        let entries = try XCTUnwrap(try components()["tokenizers"]?.array)
        var checked = 0
        for entry in entries {
            let tokenizer = try BertFixtures.tokenizer(entry["tokenizer"])
            for example in try XCTUnwrap(entry["cases"]?.array) {
                let text = try XCTUnwrap(example["text"]?.string)
                let pair = example["pair"]?.string
                let addSpecialTokens = try XCTUnwrap(example["add_special_tokens"]?.bool)
                let encoding = tokenizer.encode(text, pair: pair, addSpecialTokens: addSpecialTokens)
                let label = "\(String(describing: tokenizer.postProcessor)) on \(text.debugDescription) / \(String(describing: pair)), special \(addSpecialTokens)"
                XCTAssertEqual(encoding.ids, BertFixtures.ints(example["ids"]), label)
                XCTAssertEqual(encoding.typeIds, BertFixtures.ints(example["type_ids"]), label)
                XCTAssertEqual(encoding.specialTokensMask, BertFixtures.ints(example["special_tokens_mask"]), label)
                XCTAssertEqual(encoding.attentionMask, BertFixtures.ints(example["attention_mask"]), label)
                if let decoded = example["decoded"]?.string {
                    XCTAssertEqual(BertFixtures.scalars(tokenizer.decode(encoding.ids)), BertFixtures.scalars(decoded), label)
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 240)
    }

    // MARK: - Every code point

    /// Planes 0-3 and 14, and the first and last block of private-use planes 15 and 16:
    /// everything else is unassigned in every Unicode version.
    private static let codePoints: [UInt32] = Array(0..<0x40000) + Array(0xE0000..<0xF1000) + Array(0x10F000..<0x110000)

    func testCharacterClassesOfEveryCodePoint() throws {
        let root = try BertFixtures.document(at: BertFixtures.fixture("bert/unicode.json")).root
        let classes = try XCTUnwrap(root["classes"]?.array)
        XCTAssertEqual(classes.count, 10)
        for entry in classes {
            let name = try XCTUnwrap(entry["name"]?.string)
            var expected = Set<UInt32>()
            for range in try XCTUnwrap(entry["ranges"]?.array) {
                let bounds = BertFixtures.ints(range)
                expected.formUnion(UInt32(bounds[0])...UInt32(bounds[1]))
            }
            let tokenizer = try BertFixtures.tokenizer(entry["tokenizer"])
            let holds = try Self.classProbe(name, tokenizer)
            var mismatches: [String] = []
            for value in Self.codePoints {
                guard let scalar = Unicode.Scalar(value) else { continue }
                if holds(scalar) != expected.contains(value) {
                    mismatches.append(String(format: "U+%04X", value) + (expected.contains(value) ? " (expected in class)" : " (expected outside)"))
                }
            }
            XCTAssert(mismatches.isEmpty, "\(name): \(mismatches.count) code points differ: \(mismatches.prefix(20))")
        }
    }

    /// Mirrors CLASS_PROBES in make_bert_fixtures.py.
    private static func classProbe(_ name: String, _ tokenizer: Tokenizer) throws -> (Unicode.Scalar) -> Bool {
        func normalized(_ text: String) -> [UInt32] { BertFixtures.scalars(tokenizer.normalizer!.normalize(text)) }
        func pieces(_ text: String) -> [[UInt32]] {
            var pieces: [Piece] = []
            tokenizer.preTokenizer!.split(Piece(Substring(text), atStart: true), into: &pieces)
            return pieces.map { BertFixtures.scalars(String($0.text)) }
        }
        let a: UInt32 = 0x61
        switch name {
        case "bert_clean_removed": return { normalized(String($0)).isEmpty }
        case "bert_clean_space": return { $0 != " " && normalized(String($0)) == [0x20] }
        case "bert_chinese": return { normalized(String($0)) != [$0.value] }
        case "combining_mark": return { normalized("a" + String($0)) == [a] }
        case "whitespace": return { pieces("a" + String($0) + "b").count == 2 }
        case "punctuation", "numeric": return { pieces("a" + String($0) + "b").count == 3 }
        case "bert_split": return { pieces("a" + String($0) + "b").count != 1 }
        case "regex_word": return { pieces("a" + String($0)) == [[a, $0.value]] }
        case "regex_space": return { pieces("a" + String($0)) == [[a]] }
        default: throw BertFixtures.Failure(description: "unknown class probe \(name)")
        }
    }

    func testScalarMappingsOfEveryCodePoint() throws {
        let root = try BertFixtures.document(at: BertFixtures.fixture("bert/unicode.json")).root
        let blockSize = try XCTUnwrap(root["block_size"]?.int)
        let mappings = try XCTUnwrap(root["mappings"]?.array)
        XCTAssertEqual(mappings.count, 6)
        for entry in mappings {
            let name = try XCTUnwrap(entry["name"]?.string)
            let normalizer = try XCTUnwrap(try BertFixtures.tokenizer(entry["tokenizer"]).normalizer)
            let expected = BertFixtures.ints(entry["block_crc32"])
            var crcs: [Int: CRC32] = [:]
            for value in Self.codePoints {
                guard let scalar = Unicode.Scalar(value) else { continue }
                crcs[Int(value) / blockSize, default: CRC32()].update(normalizer.normalize(String(scalar)).utf8 + [0xFF])
            }
            let differing = crcs.keys.sorted().filter { UInt32(expected[$0]) != crcs[$0]!.value }
            XCTAssert(differing.isEmpty, "\(name): blocks differ at " + differing.prefix(10).map { String(format: "U+%04X", $0 * blockSize) }.joined(separator: ", "))
        }
    }
}
