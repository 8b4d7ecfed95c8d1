import RevmuxCompute
import RevmuxModels

/// The backbone-independent steps of ../shared/revmux-method.md: mixing prefilled queries
/// into groups (steps 3-6) and separating the positions a head reads (steps 8-9).
final class MuxPath {
    let adapters: MuxAdapters
    let chain: CouplingChain
    let compute: Compute
    private var buffers = MuxBuffers()

    init(_ adapters: MuxAdapters, compute: Compute) {
        self.adapters = adapters
        chain = CouplingChain(adapters: adapters.couplings, compute: compute)
        self.compute = compute
    }

    var width: Int { chain.width }

    /// Down-projects each query into its block of its group's row, with the query's padded
    /// positions (and absent queries of a short last group) left at zero, so that a group's
    /// result depends on its own queries only; then the coupling chain. The mixed mask is
    /// the OR of the group's masks. `hidden` and the result hold their sequences in
    /// `layout`: padded, the result is exactly [groups·length, d]; packed, each group takes
    /// as many rows as its longest query and the products skip every padded row. Valid until
    /// the next call.
    func mix(_ hidden: Matrix, _ shape: PaddedShape, layout: RowLayout = .padded) -> (Matrix, PaddedShape) {
        let n = chain.width, k = chain.reduced, d = chain.hidden
        let groups = (shape.count + n - 1) / n
        let lengths = (0..<groups).map { group in shape.lengths[(group * n)..<min(shape.count, (group + 1) * n)].max()! }
        let mixedShape = PaddedShape(count: groups, length: shape.length, lengths: lengths)
        // One product over every query's rows instead of one small product per query: the
        // per-call cost dominated at these sizes.
        let down = buffers.matrix(\.down, rows: shape.rows(in: layout), cols: k, exactly: false)
        compute.linear(hidden, rows: shape.rows(in: layout), adapters.down, into: down)
        let rows = mixedShape.rows(in: layout)
        let mixed = buffers.matrix(\.mixed, rows: rows, cols: d, exactly: layout == .padded)
        mixed.base.update(repeating: 0, count: rows * d)
        let from = shape.starts(in: layout), to = mixedShape.starts(in: layout)
        for query in 0..<shape.count {
            let group = query / n, slot = query % n
            for position in 0..<shape.lengths[query] {
                (mixed.row(to[group] + position) + slot * k).update(from: down.row(from[query] + position), count: k)
            }
        }
        chain.multiplex(mixed, into: mixed, rows: rows)
        return (mixed, mixedShape)
    }

    /// The inverse chain on `rows` mixed states (one per row), then U on every block: row
    /// r·N + n of the result is block n of row r, up-projected. Valid until the next call.
    func separate(_ states: Matrix, rows: Int) -> Matrix {
        let n = chain.width, k = chain.reduced, d = chain.hidden
        let recovered = buffers.matrix(\.recovered, rows: rows, cols: d)
        chain.demultiplex(states, into: recovered, rows: rows)
        // Block n of row r is already row r·N + n of a [rows·N, k] matrix: U runs once over
        // all of them, reading its 3d × 3d weight once per batch rather than once per slot.
        let wide = buffers.matrix(\.wide, rows: rows * n, cols: 3 * d)
        let wide2 = buffers.matrix(\.wide2, rows: rows * n, cols: 3 * d)
        let out = buffers.matrix(\.separated, rows: rows * n, cols: d)
        compute.linear(recovered.base, lda: k, rows: rows * n, adapters.up[0], into: wide.base, ldc: 3 * d)
        compute.relu(wide)
        compute.linear(wide, adapters.up[1], into: wide2)
        compute.relu(wide2)
        compute.linear(wide2, adapters.up[2], into: out)
        return out
    }

    /// Rows `rows` of `source`, packed into a reused [rows.count, cols] matrix.
    func gather(_ source: Matrix, rows: [Int]) -> Matrix {
        let out = buffers.matrix(\.gathered, rows: rows.count, cols: source.cols)
        for (i, r) in rows.enumerated() { out.row(i).update(from: source.row(r), count: source.cols) }
        return out
    }
}

/// The multiplexed path's buffers, reallocated only when a batch's shape changes.
struct MuxBuffers {
    var down = Matrix(rows: 0, cols: 0)
    var mixed = Matrix(rows: 0, cols: 0)
    var recovered = Matrix(rows: 0, cols: 0)
    var wide = Matrix(rows: 0, cols: 0)
    var wide2 = Matrix(rows: 0, cols: 0)
    var separated = Matrix(rows: 0, cols: 0)
    var gathered = Matrix(rows: 0, cols: 0)

    /// The buffer at `key`: exactly rows × cols when `exactly` (a caller relies on the row
    /// count, e.g. the T5 encoder checks it), else at least that many rows, so that batches
    /// of varying lengths reuse one allocation instead of each faulting in a fresh one.
    mutating func matrix(_ key: WritableKeyPath<MuxBuffers, Matrix>, rows: Int, cols: Int, exactly: Bool = true) -> Matrix {
        let held = self[keyPath: key]
        if held.cols != cols || (exactly ? held.rows != rows : held.rows < rows) {
            self[keyPath: key] = Matrix(rows: rows, cols: cols)
        }
        return self[keyPath: key]
    }
}
