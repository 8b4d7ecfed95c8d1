import RevmuxCompute
import RevmuxTrain
import XCTest

/// The epoch loop's learning-rate schedule, as the optimiser sees it at each step.
final class TrainingLoopTests: XCTestCase {
    /// Runs `loop` on 10 queries in batches of 4 (3 steps an epoch) and returns the rate each
    /// step was taken with.
    private func rates(_ loop: TrainingLoop, optimizer: AdamW, parameters: [Parameter],
                       resume: TrainingCheckpoint? = nil) throws -> [Float] {
        var seen: [Float] = []
        _ = try loop.run(parameters: parameters, optimizer: optimizer, trainCount: 10, resume: resume,
                         step: { _ in seen.append(optimizer.learningRate); return (0, 0) },
                         devAccuracy: { 0.5 }, epochDone: { _, _ in }, progress: { _ in })
        return seen
    }

    func testLinearScheduleFallsToZeroAndResumesOnTheSameLine() throws {
        let adapters = TrainableAdapters(hidden: 8, width: 2, seed: 1)
        let optimizer = AdamW(parameters: adapters.parameters, learningRate: 0.01)
        let linear = TrainingLoop(epochs: 4, batchSize: 4, seed: 3, schedule: .linear)
        let whole = try rates(linear, optimizer: optimizer, parameters: adapters.parameters)
        XCTAssertEqual(whole.count, 12)
        for (step, rate) in whole.enumerated() {
            XCTAssertEqual(rate, 0.01 * Float(12 - step) / 12, accuracy: 1e-9, "step \(step)")
        }
        XCTAssertEqual(optimizer.learningRate, 0.01, "the base rate is restored after the run")

        let checkpoint = TrainingCheckpoint(epoch: 2, best: 0.5, bestValues: adapters.parameters.map { $0.value.toArray() })
        let tail = try rates(linear, optimizer: optimizer, parameters: adapters.parameters, resume: checkpoint)
        XCTAssertEqual(tail, Array(whole[6...]))

        let constant = try rates(TrainingLoop(epochs: 2, batchSize: 4, seed: 3), optimizer: optimizer,
                                 parameters: adapters.parameters)
        XCTAssertEqual(constant, [Float](repeating: 0.01, count: 6))
    }
}
