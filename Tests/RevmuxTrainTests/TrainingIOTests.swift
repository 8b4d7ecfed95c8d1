import Foundation
import RevmuxCompute
import RevmuxFormats
import RevmuxTrain
import XCTest

/// The files training reads and writes: safetensors out, labelled CSV / JSONL in, the split.
final class TrainingIOTests: XCTestCase {
    func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("revmux-train-\(getpid())-\(name)").path
    }

    func testSafetensorsRoundTripThroughTheStrictReader() throws {
        let adapters = TrainableAdapters(hidden: 8, width: 2, seed: 5)
        let path = temporary("adapters.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsWriter.write(adapters.parameters, to: path)
        let file = try SafetensorsFile(path: path)
        XCTAssertEqual(file.tensors.map(\.name).sorted(), adapters.parameters.map(\.name).sorted())
        for p in adapters.parameters {
            let view = try XCTUnwrap(file.tensor(named: p.name))
            XCTAssertEqual(view.shape, p.shape)
            XCTAssertEqual(try view.floats(), p.value.toArray())
        }
        // F16: the same names and shapes, values rounded to half precision.
        try SafetensorsWriter.write(adapters.parameters, to: path, dtype: .f16)
        let half = try SafetensorsFile(path: path)
        for p in adapters.parameters {
            let values = try XCTUnwrap(half.tensor(named: p.name)).floats()
            XCTAssertEqual(values, p.value.toArray().map { Float(Float16($0)) }, p.name)
        }
    }

    func testCSVWithQuotesAndDroppedLabels() throws {
        let path = temporary("data.csv")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let csv = "category,text,other\nfresh,\"Witty, \"\"warm\"\"\nand long\",x\nplot,A man goes,y\r\nrotten,Flat.,z\n"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        let spec = DataSpec(format: .csv, textColumn: "text", pairColumn: nil, labelColumn: "category",
                            labels: ["negative", "positive"], labelMap: ["fresh": "positive", "rotten": "negative"])
        let data = try LabelledData(path: path, spec: spec)
        XCTAssertEqual(data.dropped, 1)
        XCTAssertEqual(data.examples.map(\.text), ["Witty, \"warm\"\nand long", "Flat."])
        XCTAssertEqual(data.examples.map(\.label), [1, 0])
    }

    func testJSONLinesPairsAndDeterministicSplit() throws {
        let path = temporary("data.jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = (0..<50).map { "{\"premise\": \"p\($0)\", \"hypothesis\": \"h\($0)\", \"gold\": \($0 % 3)}" }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let spec = DataSpec(format: .jsonl, textColumn: "premise", pairColumn: "hypothesis", labelColumn: "gold",
                            labels: ["0", "1", "2"], labelMap: [:])
        let data = try LabelledData(path: path, spec: spec)
        XCTAssertEqual(data.examples.count, 50)
        XCTAssertEqual(data.examples[4].pair, "h4")
        let a = data.split(seed: 9), b = data.split(seed: 9)
        XCTAssertEqual(a.train, b.train)
        XCTAssertEqual([a.train.count, a.dev.count, a.test.count], [40, 5, 5])
        XCTAssertEqual(Set((a.train + a.dev + a.test).map(\.text)).count, 50)
        XCTAssertNotEqual(data.split(seed: 10).train, a.train)
    }

    /// A resumed optimiser takes exactly the step the uninterrupted one takes.
    func testCheckpointResumesAdamWExactly() throws {
        func run(_ adapters: TrainableAdapters, _ optimizer: AdamW, steps: Int, seed: UInt64) {
            var v = Values(seed: seed)
            for _ in 0..<steps {
                for p in adapters.parameters {
                    let grad = v.matrix(1, p.grad.count, 1)   // held: its storage dies with it
                    p.grad.base.update(from: grad.base, count: p.grad.count)
                }
                optimizer.update()
            }
        }
        let path = temporary("checkpoint.safetensors")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let original = TrainableAdapters(hidden: 8, width: 2, seed: 1)
        let optimizer = AdamW(parameters: original.parameters, learningRate: 0.01)
        run(original, optimizer, steps: 3, seed: 2)
        let state = TrainingCheckpoint(epoch: 4, best: 0.75, bestValues: original.parameters.map { $0.value.toArray() })
        try state.write(parameters: original.parameters, optimizer: optimizer, to: path)

        let resumed = TrainableAdapters(hidden: 8, width: 2, seed: 99)
        let resumedOptimizer = AdamW(parameters: resumed.parameters, learningRate: 0.01)
        let read = try TrainingCheckpoint.read(path, parameters: resumed.parameters, optimizer: resumedOptimizer)
        XCTAssertEqual(read.epoch, 4)
        XCTAssertEqual(read.best, 0.75)
        XCTAssertEqual(resumedOptimizer.step, 3)
        run(original, optimizer, steps: 2, seed: 5)
        run(resumed, resumedOptimizer, steps: 2, seed: 5)
        for (a, b) in zip(original.parameters, resumed.parameters) { XCTAssertEqual(a.value.toArray(), b.value.toArray(), a.name) }
    }
}
