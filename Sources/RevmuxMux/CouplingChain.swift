import RevmuxCompute

/// One coupling adapter F_n: Linear(k, d) → ReLU → Linear(d, k).
public struct CouplingAdapter: Sendable {
    public let fc1: Linear
    public let fc2: Linear

    public init(fc1: Linear, fc2: Linear) {
        precondition(fc1.outFeatures == fc2.inFeatures && fc2.outFeatures == fc1.inFeatures, "F_n maps k → d → k")
        self.fc1 = fc1
        self.fc2 = fc2
    }
}

/// The reversible multiplexer of ../shared/revmux-method.md (steps 5 and 8): an additive
/// coupling chain over N blocks of width k = d / N.
///
/// Matrices hold one mixed sequence position per row, d = N·k wide, block n in columns
/// [n·k, (n+1)·k): the same layout for the queries' inputs x (before), the mixed state z,
/// the backbone's output o and the recovered r (after). Both directions call the same F_n
/// on the same values, so `demultiplex(multiplex(x)) == x` up to float rounding of one
/// add and one subtract.
public final class CouplingChain {
    let adapters: [CouplingAdapter]
    let reduced: Int
    let compute: Compute
    private var scratch = Matrix(rows: 0, cols: 0)
    private var adapterOut = Matrix(rows: 0, cols: 0)

    public init(adapters: [CouplingAdapter], compute: Compute) {
        precondition(adapters.count >= 2)
        precondition(adapters.allSatisfy { $0.fc1.outFeatures == adapters.count * $0.fc1.inFeatures && $0.fc2.outFeatures == $0.fc1.inFeatures })
        self.adapters = adapters
        reduced = adapters[0].fc2.outFeatures
        self.compute = compute
    }

    public var width: Int { adapters.count }
    public var hidden: Int { reduced * adapters.count }

    /// y_0 = x_0 + F_0(x_{N-1}); y_n = x_n + F_n(y_{n-1}) for n = 1 ..< N.
    public func multiplex(_ x: Matrix, into y: Matrix, rows: Int) {
        check(x, y, rows)
        let last = width - 1
        for n in 0..<width {
            let input = n == 0 ? x.base + last * reduced : y.base + (n - 1) * reduced
            apply(n, input, rows: rows)
            combine(y.base + n * reduced, x.base + n * reduced, adapterOut.base, rows: rows, sign: 1)
        }
    }

    /// r_n = o_n - F_n(o_{n-1}) for n = N-1 down to 1; r_0 = o_0 - F_0(r_{N-1}).
    public func demultiplex(_ o: Matrix, into r: Matrix, rows: Int) {
        check(o, r, rows)
        precondition(o !== r, "the inverse reads o_{n-1} after writing r_n")
        for n in stride(from: width - 1, through: 1, by: -1) {
            apply(n, o.base + (n - 1) * reduced, rows: rows)
            combine(r.base + n * reduced, o.base + n * reduced, adapterOut.base, rows: rows, sign: -1)
        }
        apply(0, r.base + (width - 1) * reduced, rows: rows)
        combine(r.base, o.base, adapterOut.base, rows: rows, sign: -1)
    }

    private func check(_ a: Matrix, _ b: Matrix, _ rows: Int) {
        precondition(a.cols == hidden && b.cols == hidden && rows <= a.rows && rows <= b.rows)
        if scratch.rows < rows {
            scratch = Matrix(rows: rows, cols: hidden)
            adapterOut = Matrix(rows: rows, cols: reduced)
        }
    }

    /// adapterOut[rows, k] = F_n(block at `input`, rows strided by d).
    private func apply(_ n: Int, _ input: UnsafePointer<Float>, rows: Int) {
        let adapter = adapters[n]
        compute.linear(input, lda: hidden, rows: rows, adapter.fc1, into: scratch.base, ldc: hidden)
        compute.relu(scratch, rows: rows)
        compute.linear(scratch.base, lda: hidden, rows: rows, adapter.fc2, into: adapterOut.base, ldc: reduced)
    }

    /// out block = a block ± f, row by row (out and a strided by d, f packed by k).
    private func combine(_ out: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ f: UnsafePointer<Float>,
                         rows: Int, sign: Float) {
        let d = hidden, k = reduced
        for row in 0..<rows {
            let o = out + row * d, x = a + row * d, g = f + row * k
            for c in 0..<k { o[c] = x[c] + sign * g[c] }
        }
    }
}
