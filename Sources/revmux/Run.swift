import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxMux

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify texts with a bundle's task, N queries sharing each pass through the upper layers.",
        discussion: """
            Queries are read \(MuxGrouping.sortWindow) batches at a time and sorted by token count, \
            then cut into batches of --batch and each batch into groups of N (the bundle's mux \
            width), which share one pass through layers [cf, L) of the frozen backbone; output \
            stays in input order. A group costs as much as its longest member, so sorting saves \
            the padding that groups of consecutive queries carry (--grouping consecutive, the \
            method as published: on Rotten Tomatoes reviews at N = 4, 42% more tokens than their \
            members, against 4.7% sorted within a batch of 64 and 1.3% across four). \
            --no-mux runs every query alone through the whole backbone instead: the \
            unmultiplexed teacher and the speed baseline.

            Input (--input FILE, '-' for standard input, or --text): plain lines; TSV \
            (text, text<TAB>label, or text_a<TAB>text_b<TAB>label: with two columns the \
            second is a label when it names one of the task's labels, otherwise the pair's \
            second text); or JSON lines with "text" (or "text_a"/"text_b") and an optional \
            "label". The format follows the file's extension (.tsv, .jsonl) unless --format \
            says. Blank lines are skipped.

            Output: one JSON object per query on standard output, {"id": input line (or \
            --text position), "label": the prediction, "scores": probability per label, \
            "expected": the input's label when it has one}, or TSV (id, label, score) with \
            --output tsv. A summary goes to standard error: queries/s, the effective mux \
            width and, when the input has labels, the accuracy.

            Examples:
              revmux run task.revmux --text "A gorgeous, witty film." --text "Tedious and flat."
              revmux run task.revmux --input reviews.tsv --batch 128 --threads 2 > predictions.jsonl
              cat reviews.txt | revmux run task.revmux --input - --no-mux --output tsv
            """
    )

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case jsonl, tsv
    }

    enum ErrorPolicy: String, ExpressibleByArgument, CaseIterable {
        case fail, skip
    }

    @Argument(help: "A .revmux bundle with a task (revmux convert --labels ... --adapters ...).")
    var bundle: String

    @Option(help: "The task to run, for a bundle with several (revmux inspect BUNDLE lists them).")
    var task: String?

    @Option(name: .customLong("text"), help: "A text to classify (repeatable).")
    var texts: [String] = []

    @Option(help: "Classify every record of FILE ('-' for standard input).")
    var input: String?

    @Option(help: "Input format: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: InputFormat = .auto

    @Option(help: "Output format: jsonl or tsv.")
    var output: OutputFormat = .jsonl

    @Option(help: "Queries per pass through the backbone (groups of N are formed inside a batch).")
    var batch = 64

    @Option(help: "Compute threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: ArgumentHelp(
        "Which queries of a batch share a pass: length (sorted by token count first) or consecutive (the method as published).",
        discussion: "length makes a group's members about equally long, so the mixed sequence carries less padding; output stays in input order."))
    var grouping: MuxGrouping = .length

    @Flag(help: "Run each query alone through the whole backbone (no multiplexing).")
    var noMux = false

    @Option(help: "A malformed input line: fail (exit 65) or skip it with a warning.")
    var onError: ErrorPolicy = .fail

    func validate() throws {
        guard texts.isEmpty != (input == nil) else { throw ValidationError("give --text (one or more) or --input, not both") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        let classifier = try openTask()
        var stderr = StandardError()
        if classifier.task.untrained, !noMux || classifier.hasTaskHead {
            let what = noMux ? "classifier head is" : "adapters are"
            print("revmux: note: this bundle's \(what) untrained (--init-adapters): its predictions are noise", to: &stderr)
        }
        var summary = Summary(multiplexed: !noMux, muxWidth: classifier.muxWidth)
        var pending: [InputRecord] = []
        let window = grouping == .length && !noMux ? batch * MuxGrouping.sortWindow : batch
        for record in try openRecords(texts: texts, input: input, format: format, labels: classifier.labels) {
            switch record {
            case .success(let record):
                pending.append(record)
            case .failure(let problem):
                let message = "\(input ?? "-"): line \(problem.line) \(problem.message)"
                guard onError == .skip else {
                    printError(message)
                    throw ExitCode(Sysexits.dataError)
                }
                print("revmux: warning: \(message); skipped", to: &stderr)
                summary.skipped += 1
            }
            if pending.count == window {
                try classify(pending, classifier, &summary)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try classify(pending, classifier, &summary) }
        print(summary.report(layers: classifier.layerCount, prefill: classifier.prefillLayers), to: &stderr)
    }

    private func openTask() throws -> any TaskClassifier {
        let file: BundleFile
        do {
            file = try BundleFile(path: bundle)
        } catch {
            throw fail(error)
        }
        do {
            return try openClassifier(file, task: task, threads: threads)
        } catch {
            printError("\(bundle): \(error)")
            switch error {
            case .taskChoice(.ambiguous), .taskChoice(.unknown): throw ExitCode(Sysexits.usage)
            default: throw ExitCode(Sysexits.dataError)
            }
        }
    }

    private func classify(_ records: [InputRecord], _ classifier: any TaskClassifier, _ summary: inout Summary) throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let logits: [[Float]]
        do {
            logits = try classifier.classify(records.map(\.query), multiplexed: !noMux, grouping: grouping, batch: batch)
        } catch {
            printError("\(bundle): \(error)")
            throw ExitCode(Sysexits.dataError)
        }
        summary.seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let labels = classifier.labels
        for (record, row) in zip(records, logits) {
            let scores = softmax(row)
            let best = scores.indices.max { scores[$0] < scores[$1] }!
            summary.count(predicted: labels[best], expected: record.label)
            switch output {
            case .tsv:
                print("\(record.line)\t\(labels[best])\t\(scores[best])")
            case .jsonl:
                var object: [String: Any] = [
                    "id": record.line, "label": labels[best],
                    "scores": Dictionary(uniqueKeysWithValues: zip(labels, scores.map(Double.init))),
                ]
                if let expected = record.label { object["expected"] = expected }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            }
        }
        for start in stride(from: 0, to: records.count, by: batch) {
            let size = min(batch, records.count - start)
            summary.groups += noMux ? size : (size + classifier.muxWidth - 1) / classifier.muxWidth
        }
    }

    private func softmax(_ logits: [Float]) -> [Float] {
        let peak = logits.max() ?? 0
        let exps = logits.map { expf($0 - peak) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }
}

/// What `revmux run` reports on standard error when it is done.
struct Summary {
    let multiplexed: Bool
    let muxWidth: Int
    var queries = 0, labelled = 0, correct = 0, skipped = 0
    /// Sequences that ran through the upper layers: queries / N rounded up per batch.
    var groups = 0
    var seconds = 0.0

    mutating func count(predicted: String, expected: String?) {
        queries += 1
        guard let expected else { return }
        labelled += 1
        if predicted == expected { correct += 1 }
    }

    func report(layers: Int, prefill: Int) -> String {
        let rate = seconds > 0 ? Double(queries) / seconds : 0
        var parts = [String(format: "%d queries in %.2f s: %.1f queries/s", queries, seconds, rate)]
        if multiplexed {
            let effective = groups > 0 ? Double(queries) / Double(groups) : 0
            parts.append(String(format: "mux width %d (effective %.2f), layers %d-%d shared of %d",
                                muxWidth, effective, prefill + 1, layers, layers))
        } else {
            parts.append("no multiplexing")
        }
        if labelled > 0 {
            parts.append(String(format: "accuracy %.2f%% (%d/%d)", 100 * Double(correct) / Double(labelled), correct, labelled))
        }
        if skipped > 0 { parts.append("\(skipped) lines skipped") }
        return "revmux: " + parts.joined(separator: "; ")
    }
}

extension MuxGrouping: ExpressibleByArgument {}
