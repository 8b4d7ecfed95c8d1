import RevmuxCompute
import XCTest

/// SplitMix64 U[-bound, bound) (+ offset) in f32, the stream Tests/Fixtures/make_train_references.py uses.
struct Values {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(_ bound: Float, offset: Float = 0) -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 24) * (2 * bound) - bound + offset
    }

    mutating func matrix(_ rows: Int, _ cols: Int, _ bound: Float, offset: Float = 0) -> Matrix {
        Matrix(rows: rows, cols: cols, values: (0..<(rows * cols)).map { _ in next(bound, offset: offset) })
    }
}

/// Compares an analytic gradient with central differences of `loss` in f32, at `samples`
/// entries (all when nil). Returns the largest |analytic − numeric| / max(|numeric|, floor)
/// with floor = 5% of the largest analytic entry, so tiny entries do not dominate.
func finiteDifferenceError(_ input: Matrix, analytic: Matrix, step: Float = 1e-2, samples: Int? = nil,
                           loss: () -> Float) -> Float {
    let peak = (0..<analytic.count).reduce(Float(0)) { max($0, abs(analytic.base[$1])) }
    let floor = max(0.05 * peak, 1e-6)
    let indices = samples.map { s in (0..<min(s, input.count)).map { $0 * input.count / min(s, input.count) } }
        ?? Array(0..<input.count)
    var worst: Float = 0
    for i in indices {
        let saved = input.base[i]
        input.base[i] = saved + step
        let plus = loss()
        input.base[i] = saved - step
        let minus = loss()
        input.base[i] = saved
        let numeric = (plus - minus) / (2 * step)
        worst = max(worst, abs(analytic.base[i] - numeric) / max(abs(numeric), floor))
    }
    return worst
}

/// Σ a ⊙ r over the first `count` entries: a scalar loss with d/da = r.
func weightedSum(_ a: Matrix, _ r: Matrix, count: Int? = nil) -> Float {
    (0..<(count ?? a.count)).reduce(Float(0)) { $0 + a.base[$1] * r.base[$1] }
}

/// Asserts a finite-difference error is below `tolerance` and prints it, so a run reports the margins.
func check(_ error: Float, _ tolerance: Float, function: String = #function, file: StaticString = #filePath, line: UInt = #line) {
    print("finite differences \(function) line \(line): max relative error \(error) (tolerance \(tolerance))")
    XCTAssertLessThan(error, tolerance, file: file, line: line)
}
