import Foundation
import RevmuxTestSupport
import XCTest

/// Runs the built `revmux` binary, which sits beside the test bundle.
enum CLI {
    static let binary: URL = {
        let products = Bundle.main.bundleURL.pathExtension == "xctest"
            ? Bundle.main.bundleURL.deletingLastPathComponent()
            : URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return products.appendingPathComponent("revmux")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        try run(binary, arguments, stdin: stdin)
    }

    static func run(_ executable: URL, _ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Feed standard input from another thread: a child that answers as it reads (run,
        // embed) would otherwise fill its output pipe while we are still writing.
        let writer = input.fileHandleForWriting
        let feeding = Thread {
            if let stdin { writer.write(Data(stdin.utf8)) }
            try? writer.close()
        }
        feeding.start()
        // Read both pipes before waiting, so a chatty child cannot block on a full pipe.
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }

    static let repository = Repository.root
}
