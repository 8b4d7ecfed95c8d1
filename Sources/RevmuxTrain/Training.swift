import RevmuxBundle
import Dispatch
import Foundation
import RevmuxCompute

/// Progress of a training run, for the caller to show (the library never prints).
public struct TrainingProgress: Sendable {
    public enum Phase: Sendable { case batch, epochEnd }
    public var phase: Phase
    public var epoch: Int
    public var seen: Int            // training queries so far this epoch
    public var loss: Float          // mean training loss so far this epoch
    public var accuracy: Float      // training accuracy so far this epoch
    public var queriesPerSecond: Double
    public var devAccuracy: Float?  // at epochEnd
    public var isBest: Bool         // at epochEnd: the best dev accuracy so far
}

/// How the learning rate moves over a run's steps.
public enum LearningRateSchedule: String, CaseIterable, Sendable {
    /// The paper's recipe: the same rate throughout.
    case constant
    /// From the full rate at the first step down to zero after the last one, which lets a
    /// short run settle instead of ending on a large, noisy step.
    case linear

    /// The rate for 0-based `step` of `total`.
    public func rate(_ base: Float, step: Int, of total: Int) -> Float {
        switch self {
        case .constant: base
        case .linear: base * Float(total - step) / Float(total)
        }
    }
}

/// The shared loop: shuffled mini-batches per epoch, AdamW, dev accuracy after each epoch,
/// and the parameters of the best dev epoch kept (and restored at the end).
public struct TrainingLoop {
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    public var schedule: LearningRateSchedule
    public var progressEvery = 20   // batches between `.batch` reports

    public init(epochs: Int, batchSize: Int, seed: UInt64, schedule: LearningRateSchedule = .constant) {
        self.epochs = epochs
        self.batchSize = batchSize
        self.seed = seed
        self.schedule = schedule
    }

    /// `step(queries)` returns (mean loss, correct) for the given training indices and
    /// accumulates their gradients; `devAccuracy()` evaluates the dev split.
    /// `epochDone(state, isBest)` may save and checkpoint. A `resume`d run restarts after
    /// the checkpoint's epoch (its parameters and moments already restored). Returns the
    /// best dev accuracy.
    public func run(parameters: [Parameter], optimizer: AdamW, trainCount: Int, resume: TrainingCheckpoint? = nil,
                    step: ([Int]) -> (loss: Float, correct: Int), devAccuracy: () -> Float,
                    epochDone: (TrainingCheckpoint, Bool) throws(TrainError) -> Void,
                    progress: (TrainingProgress) -> Void) throws(TrainError) -> Float {
        var best: Float = resume?.best ?? -1
        var bestValues = resume?.bestValues ?? parameters.map { $0.value.toArray() }
        var random = SplitMix64(seed: seed)
        let baseRate = optimizer.learningRate
        let stepsPerEpoch = (trainCount + batchSize - 1) / batchSize
        defer { optimizer.learningRate = baseRate }
        for epoch in 0..<epochs {
            var order = Array(0..<trainCount)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(random.next() % UInt64(i + 1))) }
            guard epoch >= resume?.epoch ?? 0 else { continue }   // done before the checkpoint: replay its shuffle only
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum: Float = 0, correct = 0, seen = 0, batches = 0
            func report(_ phase: TrainingProgress.Phase, dev: Float?, isBest: Bool) {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                progress(TrainingProgress(phase: phase, epoch: epoch + 1, seen: seen, loss: lossSum / Float(max(seen, 1)),
                                          accuracy: Float(correct) / Float(max(seen, 1)),
                                          queriesPerSecond: Double(seen) / max(seconds, 1e-9), devAccuracy: dev, isBest: isBest))
            }
            var at = 0
            while at < order.count {
                let queries = Array(order[at..<min(order.count, at + batchSize)])
                optimizer.zeroGradients()
                optimizer.learningRate = schedule.rate(baseRate, step: epoch * stepsPerEpoch + batches,
                                                       of: epochs * stepsPerEpoch)
                let (loss, hits) = step(queries)
                optimizer.update()
                lossSum += loss * Float(queries.count)
                correct += hits
                seen += queries.count
                at += queries.count
                batches += 1
                if batches % progressEvery == 0 { report(.batch, dev: nil, isBest: false) }
            }
            let dev = devAccuracy()
            let isBest = dev > best
            if isBest {
                best = dev
                bestValues = parameters.map { $0.value.toArray() }
            }
            report(.epochEnd, dev: dev, isBest: isBest)
            try epochDone(TrainingCheckpoint(epoch: epoch + 1, best: best, bestValues: bestValues), isBest)
        }
        for (p, values) in zip(parameters, bestValues) {
            values.withUnsafeBufferPointer { p.value.base.update(from: $0.baseAddress!, count: $0.count) }
        }
        return best
    }
}

/// The BERT classifier head (pooler frozen, classifier trained) on cached [CLS] states.
public final class HeadObjective {
    public let classifier: TrainableLinear
    let pooler: Linear?
    let compute: Compute

    public init(pooler: Linear?, hidden: Int, labels: Int, seed: UInt64, compute: Compute) {
        classifier = .classifierHead(hidden: hidden, labels: labels, seed: seed)
        self.pooler = pooler
        self.compute = compute
    }

    /// tanh(pooler(cls)) for every row: the classifier's input, fixed during training.
    public func pooled(_ cls: Matrix) -> Matrix {
        pooler.map { compute.denseTanh(cls, rows: cls.rows, $0) } ?? cls
    }

    /// Mean cross-entropy and hits over `rows` of `pooled`; adds gradients when `backward`.
    public func evaluate(_ pooled: Matrix, rows: [Int], labels: [Int], backward: Bool) -> (loss: Float, correct: Int) {
        let d = pooled.cols
        let x = Matrix(rows: rows.count, cols: d)
        for (slot, r) in rows.enumerated() { x.row(slot).update(from: pooled.row(r), count: d) }
        let logits = Matrix(rows: rows.count, cols: classifier.outFeatures)
        compute.linear(x, classifier.linear, into: logits)
        let dLogits = Matrix(rows: rows.count, cols: logits.cols)
        let result = Losses.crossEntropy(logits, labels: rows.map { labels[$0] }, into: dLogits)
        if backward { classifier.backward(x: x, rows: rows.count, dy: dLogits, dx: nil) }
        return result
    }
}

extension TrainableLinear {
    /// A new `head.classifier`, initialised as PyTorch's Linear from SplitMix64(seed).
    public static func classifierHead(hidden: Int, labels: Int, seed: UInt64) -> TrainableLinear {
        var random = SplitMix64(seed: seed)
        let bound = 1 / Float(hidden).squareRoot()
        return TrainableLinear(name: "head.classifier", weight: random.matrix(labels, hidden, bound),
                               bias: random.matrix(1, labels, bound))
    }
}
