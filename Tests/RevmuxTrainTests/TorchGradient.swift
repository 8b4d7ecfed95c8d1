import RevmuxCompute
import RevmuxModels
import RevmuxTrain
import XCTest

/// A gradient as the torch fixture scripts store it: its L2 norm and its entries at 8 evenly
/// spaced flat indices.
struct TorchGradient: Decodable {
    let norm: Double
    let index: [Int]
    let values: [Double]

    /// The larger of the relative norm error and the worst sampled entry's error over the
    /// norm (single entries may be ~0); asserts it is below 1e-4.
    @discardableResult
    func check(_ grad: Matrix, _ name: String, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let actual = (0..<grad.count).reduce(0.0) { $0 + Double(grad.base[$1]) * Double(grad.base[$1]) }.squareRoot()
        var worst = abs(actual - norm) / norm
        for (i, value) in zip(index, values) { worst = max(worst, abs(Double(grad.base[i]) - value) / norm) }
        XCTAssertLessThan(worst, 1e-4, name, file: file, line: line)
        return worst
    }
}

/// The adapter loss's terms as the torch fixture scripts store them (batch means).
struct TorchLoss: Decodable {
    let ce, nce, cos, total: Double

    func check(_ loss: AdapterLoss, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Double(loss.crossEntropy), ce, accuracy: 1e-5 * max(1, ce), file: file, line: line)
        XCTAssertEqual(Double(loss.infoNCE), nce, accuracy: 1e-5 * max(1, nce), file: file, line: line)
        XCTAssertEqual(Double(loss.cosine), cos, accuracy: 1e-5, file: file, line: line)
        XCTAssertEqual(Double(loss.total), total, accuracy: 1e-5 * max(1, total), file: file, line: line)
    }
}

/// Checks every parameter's gradient against `reference` by name; returns the worst error.
func checkGradients(_ parameters: [Parameter], against reference: [String: TorchGradient],
                    file: StaticString = #filePath, line: UInt = #line) throws -> Double {
    var worst = 0.0
    for p in parameters {
        let expected = try XCTUnwrap(reference[p.name], p.name, file: file, line: line)
        worst = max(worst, expected.check(p.grad, p.name, file: file, line: line))
    }
    return worst
}

/// The tiny post-norm BERT of make_train_references.py (d 16, 2 heads, FFN 32): two layers,
/// the pooler and a 3-way classifier, drawn from SplitMix64(7) in the script's order. The
/// stream goes on with the inputs, which each test draws from `values`.
struct TinyBert {
    static let d = 16, heads = 2, inter = 32, classes = 3
    /// The stream after the weights: the inputs come next.
    var values: Values
    let layers: [FrozenBertLayer]
    let pooler: Linear
    let classifier: Linear

    init() {
        let d = Self.d, inter = Self.inter
        let wd = 1 / Float(d).squareRoot(), wi = 1 / Float(inter).squareRoot()
        var v = Values(seed: 7)
        layers = (0..<2).map { _ in
            let qkv = (0..<3).map { _ in Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd)) }
            let output = Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd))
            let norm1 = (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2))
            let up = Linear(weight: v.matrix(inter, d, wd), bias: v.matrix(1, inter, wd))
            let down = Linear(weight: v.matrix(d, inter, wi), bias: v.matrix(1, d, wi))
            let norm2 = (v.matrix(1, d, 0.2, offset: 1), v.matrix(1, d, 0.2))
            return FrozenBertLayer(qkv: Linear.stacking(qkv), output: output, attnNorm: norm1, up: up, down: down, ffnNorm: norm2)
        }
        pooler = Linear(weight: v.matrix(d, d, wd), bias: v.matrix(1, d, wd))
        classifier = Linear(weight: v.matrix(Self.classes, d, 1), bias: v.matrix(1, Self.classes, wd))
        values = v
    }
}
