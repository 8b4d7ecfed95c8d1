import Foundation
import RevmuxJSON
import RevmuxTokenizers

/// Loading for the BERT-path reference fixtures (Tests/Fixtures/tokenizers/bert and
/// minilm) and the real assets they were made from.
enum BertFixtures {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file under Tests/Fixtures/tokenizers.
    static func fixture(_ path: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures/tokenizers").appendingPathComponent(path)
    }

    static func document(at url: URL) throws -> JSONDocument {
        let data = try Data(contentsOf: url)
        return try data.withUnsafeBytes { try JSONDocument(parsing: $0) }
    }

    static func tokenizer(_ json: JSONValue?) throws -> Tokenizer {
        guard let json else { throw Failure(description: "fixture entry has no tokenizer") }
        return try Tokenizer(tokenizerJSON: json)
    }

    static func strings(_ json: JSONValue?) -> [String] {
        (json?.array ?? []).map { $0.string ?? "" }
    }

    static func ints(_ json: JSONValue?) -> [Int] {
        (json?.array ?? []).map { $0.int ?? -1 }
    }

    /// The scalars of `text`: comparing these, not Strings, keeps canonically equivalent
    /// but different texts (NFC against NFD) apart.
    static func scalars(_ text: String) -> [UInt32] {
        text.unicodeScalars.map(\.value)
    }

    /// The path of `file` in a fetched asset folder ($REVMUX_CACHE or ~/.cache/revmux),
    /// fetching the asset with samples/fetch_assets.py when it is absent.
    static func asset(_ name: String, version: String, file: String) throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["REVMUX_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/revmux")
        let folder = cache.appendingPathComponent("\(name)-\(version)")
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent(".complete").path) {
            return folder.appendingPathComponent(file)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "samples/fetch_assets.py", name]
        process.currentDirectoryURL = repositoryRoot
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let last = String(decoding: printed, as: UTF8.self).split(separator: "\n").last else {
            throw Failure(description: "samples/fetch_assets.py \(name) failed (status \(process.terminationStatus))")
        }
        return URL(fileURLWithPath: String(last)).appendingPathComponent(file)
    }
}

/// zlib's CRC-32, as Python's zlib.crc32 computes it.
struct CRC32 {
    private static let table: [UInt32] = (0..<256).map { entry in
        var value = UInt32(entry)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    private(set) var value: UInt32 = 0

    init(_ initial: UInt32 = 0) {
        value = initial
    }

    mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var crc = ~value
        for byte in bytes { crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        value = ~crc
    }

    /// Each value as a little-endian int32.
    mutating func update(int32s values: [Int]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let word = UInt32(bitPattern: Int32(truncatingIfNeeded: value))
            bytes += [UInt8(word & 0xFF), UInt8((word >> 8) & 0xFF), UInt8((word >> 16) & 0xFF), UInt8(word >> 24)]
        }
        update(bytes)
    }
}
