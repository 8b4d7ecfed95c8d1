import RevmuxCompute
import RevmuxFormats

/// Where a run stands after an epoch: enough, with the parameters and AdamW's moments, to
/// go on exactly as if it had not stopped (the shuffles are replayed from the seed).
public struct TrainingCheckpoint {
    public var epoch: Int            // epochs completed
    public var best: Float           // best dev accuracy so far
    public var bestValues: [[Float]] // the parameters at that epoch

    public init(epoch: Int, best: Float, bestValues: [[Float]]) {
        self.epoch = epoch
        self.best = best
        self.bestValues = bestValues
    }

    /// One safetensors file: each parameter under its name, and "best/", "adamw.m/",
    /// "adamw.v/" copies, plus "train.state" = [epoch, AdamW step, best].
    public func write(parameters: [Parameter], optimizer: AdamW, to path: String) throws(TrainError) {
        func tensor(_ name: String, _ shape: [Int], _ values: [Float]) -> Parameter {
            Parameter(name: name, value: Matrix(rows: 1, cols: values.count, values: values), shape: shape, decays: false)
        }
        let moments = optimizer.moments
        var tensors = parameters
        for (index, p) in parameters.enumerated() {
            tensors += [tensor("best/" + p.name, p.shape, bestValues[index]), tensor("adamw.m/" + p.name, p.shape, moments[index].m),
                        tensor("adamw.v/" + p.name, p.shape, moments[index].v)]
        }
        tensors.append(tensor("train.state", [3], [Float(epoch), Float(optimizer.step), best]))
        try SafetensorsWriter.write(tensors, to: path)
    }

    /// Restores the parameters and AdamW's moments from `path`; returns where the run stood.
    public static func read(_ path: String, parameters: [Parameter], optimizer: AdamW) throws(TrainError) -> TrainingCheckpoint {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(path: path)
        } catch {
            throw .io("\(path): \(error)")
        }
        func values(_ name: String, count: Int) throws(TrainError) -> [Float] {
            guard let view = file.tensor(named: name) else { throw .data("\(path): not a checkpoint of this run: no \"\(name)\"") }
            let values: [Float]
            do {
                values = try view.floats()
            } catch {
                throw .data("\(path): \(name): \(error)")
            }
            guard values.count == count else { throw .data("\(path): \(name) has \(values.count) values, expected \(count)") }
            return values
        }
        var best: [[Float]] = [], moments: [(m: [Float], v: [Float])] = []
        for p in parameters {
            let current = try values(p.name, count: p.value.count)
            current.withUnsafeBufferPointer { p.value.base.update(from: $0.baseAddress!, count: $0.count) }
            best.append(try values("best/" + p.name, count: p.value.count))
            moments.append((try values("adamw.m/" + p.name, count: p.value.count), try values("adamw.v/" + p.name, count: p.value.count)))
        }
        let state = try values("train.state", count: 3)
        optimizer.restore(step: Int(state[1]), moments: moments)
        return TrainingCheckpoint(epoch: Int(state[0]), best: state[2], bestValues: best)
    }
}
