import ArgumentParser

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revmux-bench",
        abstract: "Benchmarks that time revmux against its peers in the same run and print ratios.",
        discussion: "Build in release mode: swift run -c release revmux-bench <subcommand>",
        subcommands: [OpenBench.self, ConvertBench.self, TokenizeBench.self, MiniLMBench.self, LlamaBench.self, MuxBench.self]
    )
}
