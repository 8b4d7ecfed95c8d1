import Foundation

/// The repository this test build comes from.
public enum Repository {
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A committed fixture, relative to Tests/Fixtures.
    public static func fixture(_ relative: String) -> URL {
        root.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative)
    }
}

/// The real sample models and data, fetched into the cache by the project's own script
/// (a no-op when they are there), exactly as CI and a fresh machine get them.
public enum SampleAssets {
    public struct FetchFailed: Error, CustomStringConvertible {
        public let description: String
    }

    /// The asset's cache folder.
    public static func folder(_ name: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.root.appendingPathComponent("samples/fetch_assets.py").path, name]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let last = String(decoding: printed, as: UTF8.self).split(separator: "\n").last else {
            throw FetchFailed(description: "samples/fetch_assets.py \(name) failed (status \(process.terminationStatus))")
        }
        return String(last)
    }

    /// A file inside the asset's cache folder.
    public static func file(_ name: String, _ relative: String) throws -> String {
        try folder(name) + "/" + relative
    }
}
