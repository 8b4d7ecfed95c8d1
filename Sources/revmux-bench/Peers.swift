import ArgumentParser
import Foundation

/// Locations relative to this source tree: the benchmark runs from a checkout.
enum Tree {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
}

/// Sample assets, fetched on demand by the project's own script.
enum Assets {
    static func path(_ asset: String, _ file: String) throws -> String {
        let output = try Peer.capture(["python3", Tree.root.appendingPathComponent("samples/fetch_assets.py").path, asset])
        return output.trimmingCharacters(in: .whitespacesAndNewlines) + "/" + file
    }
}

/// Python peers: scripts in scripts/peers that print one JSON object of timings.
enum Peer {
    static func run(_ script: String, _ arguments: [String]) throws -> [String: [Double]] {
        let path = Tree.root.appendingPathComponent("scripts/peers/\(script)").path
        let output = try capture(["python3", path] + arguments)
        guard let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: [Double]] else {
            throw ValidationError("\(script) printed an unexpected result: \(output)")
        }
        return object
    }

    static func capture(_ command: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ValidationError("\(command.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
