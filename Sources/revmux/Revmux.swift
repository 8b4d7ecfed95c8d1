import ArgumentParser

@main
struct Revmux: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revmux",
        abstract: "Serve text classification with RevMUX data multiplexing on real transformer checkpoints.",
        discussion: """
            revmux reads safetensors (single or sharded), GGUF and Hugging Face model folders \
            without copying their tensors, and validates every byte it relies on.

            Exit status: 0 success, 64 usage error, 65 invalid input data, 73 output exists, 74 I/O error.
            """,
        version: "0.1.0",
        subcommands: [Inspect.self, Convert.self, Tokenize.self, Embed.self, Run.self, Train.self]
    )
}
