import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxModels
import RevmuxMux
import RevmuxTokenizers

struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sentence embeddings from an encoder bundle, as JSON lines.",
        discussion: """
            Pools the last hidden state the way the model declares (all-MiniLM-L6-v2: the mean \
            over real tokens, then L2 normalisation) and prints one object per input, \
            {"id": input line (or --text position), "embedding": [...]}. Input is plain lines \
            or JSON lines ("text", optional "text_b"), as the file's extension or --format says. \
            Inputs longer than the tokenizer's truncation length are cut, as the model's own \
            tokenizer.json does.

            Examples:
              revmux embed minilm.revmux --text "A gorgeous film." --text "Dull and flat."
              revmux embed minilm.revmux --input reviews.txt --threads 2 > embeddings.jsonl
            """
    )

    @Argument(help: "A .revmux bundle of an encoder (BERT family).")
    var bundle: String

    @Option(name: .customLong("text"), help: "A text to embed (repeatable).")
    var texts: [String] = []

    @Option(help: "Embed every record of FILE ('-' for standard input).")
    var input: String?

    @Option(help: "Input format: auto, lines or jsonl.")
    var format: InputFormat = .auto

    @Option(help: "Texts per padded batch.")
    var batch = 32

    @Option(help: "Compute threads (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard texts.isEmpty != (input == nil) else { throw ValidationError("give --text (one or more) or --input, not both") }
        guard batch >= 1, threads >= 1 else { throw ValidationError("--batch and --threads must be at least 1") }
        guard format != .tsv else { throw ValidationError("embed reads lines or JSON lines") }
    }

    func run() throws {
        let (model, tokenizer) = try open()
        var pending: [InputRecord] = []
        let records = try openRecords(texts: texts, input: input, format: format, labels: [])
        for record in records {
            switch record {
            case .success(let record): pending.append(record)
            case .failure(let problem):
                printError("\(input ?? "-"): line \(problem.line) \(problem.message)")
                throw ExitCode(Sysexits.dataError)
            }
            if pending.count == batch {
                try emit(pending, model, tokenizer)
                pending.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { try emit(pending, model, tokenizer) }
    }

    private func open() throws -> (BertModel, Tokenizer) {
        let file: BundleFile
        do {
            file = try BundleFile(path: bundle)
        } catch {
            throw fail(error)
        }
        guard file.manifest.family == .bert else {
            printError("\(bundle): embed needs an encoder bundle (bert), not \(file.manifest.family.rawValue)")
            throw ExitCode(Sysexits.dataError)
        }
        do {
            var tokenizer = try Tokenizer(bundle: file)
            tokenizer.padding = nil
            let model = try BertModel(bundle: file, threads: threads)
            let limit = model.config.maxPositions
            if (tokenizer.truncation?.maxLength ?? .max) > limit { tokenizer.truncation = Truncation(maxLength: limit) }
            return (model, tokenizer)
        } catch {
            printError("\(bundle): \(error)")
            throw ExitCode(Sysexits.dataError)
        }
    }

    private func emit(_ records: [InputRecord], _ model: BertModel, _ tokenizer: Tokenizer) throws {
        let encodings = tokenizer.encodeBatch(records.map { ($0.query.text, $0.query.pair) })
        let batch = TokenBatch(padding: encodings.map { $0.ids.map(Int32.init) }, typeIds: encodings.map { $0.typeIds.map(Int32.init) })
        let embeddings: [[Float]]
        do {
            embeddings = try model.sentenceEmbeddings(batch)
        } catch {
            printError("\(bundle): \(error)")
            throw ExitCode(Sysexits.dataError)
        }
        for (record, embedding) in zip(records, embeddings) {
            // Float's description is the shortest text that reads back as the same Float.
            print("{\"id\":\(record.line),\"embedding\":[\(embedding.map { "\($0)" }.joined(separator: ","))]}")
        }
    }
}
