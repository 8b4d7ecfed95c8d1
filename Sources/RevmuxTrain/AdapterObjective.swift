import Foundation
import RevmuxCompute
import RevmuxModels

/// The frozen BERT head: pooler (dense + tanh) when the model has one, then the classifier,
/// on the [CLS] state (position 0), which is also what InfoNCE compares.
public final class FrozenHead: TrainingHead {
    public let pooler: Linear?
    public let classifier: Linear
    let compute: Compute
    private var u = Matrix(rows: 0, cols: 0), pooled: Matrix?, rows = 0

    public init(pooler: Linear?, classifier: Linear, compute: Compute = Compute(threads: 1)) {
        self.pooler = pooler
        self.classifier = classifier
        self.compute = compute
    }

    public func position(length: Int) -> Int { 0 }

    public func forward(_ u: Matrix, rows: Int) -> (compared: Matrix, logits: Matrix) {
        self.u = u
        self.rows = rows
        let logits = Matrix(rows: rows, cols: classifier.outFeatures)
        guard let pooler else {
            pooled = nil
            compute.linear(u, rows: rows, classifier, into: logits)
            return (u, logits)
        }
        let pooled = compute.denseTanh(u, rows: rows, pooler)
        compute.linear(pooled, classifier, into: logits)
        self.pooled = pooled
        return (u, logits)
    }

    public func backward(dLogits: Matrix, dCompared: Matrix, addingInto dU: Matrix) {
        let d = u.cols
        addVector(dU.base, dCompared.base, count: rows * d)
        guard let pooled, let pooler else {
            linearBackward(x: u.base, lda: d, rows: rows, dy: dLogits.base, ldy: dLogits.cols, weight: classifier.weight,
                           dWeight: nil, dBias: nil, dx: dU.base, ldx: d, accumulate: true)
            return
        }
        let dPooled = Matrix(rows: rows, cols: pooled.cols)
        linearBackward(x: pooled.base, lda: pooled.cols, rows: rows, dy: dLogits.base, ldy: dLogits.cols,
                       weight: classifier.weight, dWeight: nil, dBias: nil, dx: dPooled.base, ldx: pooled.cols)
        Pointwise.tanhBackward(dPooled.base, output: pooled.base, count: dPooled.count)
        linearBackward(x: u.base, lda: d, rows: rows, dy: dPooled.base, ldy: pooled.cols, weight: pooler.weight,
                       dWeight: nil, dBias: nil, dx: dU.base, ldx: d, accumulate: true)
    }
}

/// One mini-batch of prefilled queries: the states after layers [0, cf), which the adapters
/// cannot change, with what the loss compares against.
public struct PrefilledBatch {
    /// [count·length, d]: query q's positions in rows q·length ..< q·length + lengths[q].
    public let states: Matrix
    public let shape: PaddedShape
    /// [count, d]: each query's state at the head's position after the whole frozen plain
    /// path (the teacher), as the head's `compared` output reads it.
    public let teacher: Matrix
    public let labels: [Int]

    public init(states: Matrix, shape: PaddedShape, teacher: Matrix, labels: [Int]) {
        precondition(labels.count == shape.count && teacher.rows >= shape.count && states.rows >= shape.rows)
        self.states = states
        self.shape = shape
        self.teacher = teacher
        self.labels = labels
    }
}

/// The loss terms of one batch (each a batch mean) and the multiplexed predictions' hits.
public struct AdapterLoss: Sendable {
    public var crossEntropy: Float
    public var infoNCE: Float
    public var cosine: Float
    public var total: Float
    public var correct: Int
}

/// CE + λ·InfoNCE + μ·|cos| of the multiplexed path (../shared/revmux-method.md, training),
/// and its gradient w.r.t. every adapter parameter, through the frozen layers [cf, L) and head.
public final class AdapterObjective {
    public let adapters: TrainableAdapters
    public let encoder: any FrozenStack
    public let head: any TrainingHead
    public var infoNCEWeight: Float = 0.25
    public var cosineWeight: Float = 1
    let compute: Compute

    public init(adapters: TrainableAdapters, encoder: any FrozenStack, head: any TrainingHead, compute: Compute) {
        precondition(encoder.hidden == adapters.hidden)
        self.adapters = adapters
        self.encoder = encoder
        self.head = head
        self.compute = compute
    }

    /// One F_n application, kept for its backward pass.
    private struct AdapterCall {
        let input: Matrix, hidden: Matrix, output: Matrix
    }

    /// Forward pass and loss; with `backward`, adds the loss gradient to the adapters' grads.
    /// Also returns the multiplexed logits [count, labels].
    public func evaluate(_ batch: PrefilledBatch, backward: Bool) -> (AdapterLoss, Matrix) {
        let n = adapters.width, k = adapters.reduced, d = adapters.hidden
        let count = batch.shape.count, length = batch.shape.length
        let groups = (count + n - 1) / n, rows = groups * length

        // Steps 3-4: down-project each query's real positions into its block.
        let x = Matrix(rows: rows, cols: d)
        for q in 0..<count {
            compute.linear(batch.states.base + q * length * d, lda: d, rows: batch.shape.lengths[q], adapters.down.linear,
                           into: x.base + (q / n) * length * d + (q % n) * k, ldc: d)
        }
        // Step 5 on packed blocks: y_0 = x_0 + F_0(x_{N-1}), y_n = x_n + F_n(y_{n-1}).
        let xs = (0..<n).map { block(x, $0, width: k) }
        var ys: [Matrix] = [], muxCalls: [AdapterCall] = []
        for slot in 0..<n {
            let call = apply(slot, slot == 0 ? xs[n - 1] : ys[slot - 1])
            muxCalls.append(call)
            let y = Matrix(rows: rows, cols: k)
            for i in 0..<y.count { y.base[i] = xs[slot].base[i] + call.output.base[i] }
            ys.append(y)
        }
        let z = Matrix(rows: rows, cols: d)
        for slot in 0..<n { scatter(ys[slot], into: z, slot, width: k) }
        let lengths = (0..<groups).map { g in batch.shape.lengths[(g * n)..<min(count, (g + 1) * n)].max()! }
        let mixedShape = PaddedShape(count: groups, length: length, lengths: lengths)

        // Step 7, then 8 at each query's head position in its group's output (BERT: the
        // group's [CLS] row, shared; LLaMA: the query's own last real token; T5: the decoder's
        // answer position, shared). Separating that row yields every slot, of which slot
        // q mod N is query q's, as at inference.
        let o = encoder.forward(z, mixedShape)
        let outputLength = encoder.outputLength(mixedShape)
        let headRows = (0..<count).map { q in (q / n) * outputLength + head.position(length: batch.shape.lengths[q]) }
        let read = Matrix(rows: count, cols: d)
        for (q, row) in headRows.enumerated() { read.row(q).update(from: o.row(row), count: d) }
        let os = (0..<n).map { block(read, $0, width: k) }
        var rs = [Matrix](repeating: Matrix(rows: 0, cols: 0), count: n)
        var demuxCalls = [AdapterCall?](repeating: nil, count: n)
        for slot in stride(from: n - 1, through: 0, by: -1) {
            let call = apply(slot, slot == 0 ? rs[n - 1] : os[slot - 1])
            demuxCalls[slot] = call
            let r = Matrix(rows: count, cols: k)
            for i in 0..<r.count { r.base[i] = os[slot].base[i] - call.output.base[i] }
            rs[slot] = r
        }
        // Step 9 on each query's own slot.
        let recovered = Matrix(rows: count, cols: k)
        for q in 0..<count { recovered.row(q).update(from: rs[q % n].row(q), count: k) }
        let wide1 = Matrix(rows: count, cols: 3 * d), wide2 = Matrix(rows: count, cols: 3 * d)
        let u = Matrix(rows: count, cols: d)
        compute.linear(recovered, adapters.up[0].linear, into: wide1)
        compute.relu(wide1)
        compute.linear(wide1, adapters.up[1].linear, into: wide2)
        compute.relu(wide2)
        compute.linear(wide2, adapters.up[2].linear, into: u)

        // Step 10 and the losses.
        let (compared, logits) = head.forward(u, rows: count)
        let dU = Matrix(rows: count, cols: d), dCompared = Matrix(rows: count, cols: d)
        let dLogits = Matrix(rows: count, cols: logits.cols)
        let (ce, correct) = Losses.crossEntropy(logits, labels: batch.labels, into: dLogits)
        let nce = Losses.infoNCE(student: compared, teacher: batch.teacher, rows: count, weight: infoNCEWeight,
                                 addingInto: dCompared)
        let dX = Matrix(rows: rows, cols: d)
        let cosine = Losses.absCosine(x, groups: groups, width: n, length: length, lengths: batch.shape.lengths,
                                      weight: cosineWeight, addingInto: dX)
        let loss = AdapterLoss(crossEntropy: ce, infoNCE: nce, cosine: cosine,
                               total: ce + infoNCEWeight * nce + cosineWeight * cosine, correct: correct)
        guard backward else { return (loss, logits) }

        head.backward(dLogits: dLogits, dCompared: dCompared, addingInto: dU)
        let dWide2 = Matrix(rows: count, cols: 3 * d), dWide1 = Matrix(rows: count, cols: 3 * d)
        let dRecovered = Matrix(rows: count, cols: k)
        adapters.up[2].backward(x: wide2, rows: count, dy: dU, dx: dWide2, compute: compute)
        Pointwise.reluBackward(dWide2.base, output: wide2.base, count: dWide2.count)
        adapters.up[1].backward(x: wide1, rows: count, dy: dWide2, dx: dWide1, compute: compute)
        Pointwise.reluBackward(dWide1.base, output: wide1.base, count: dWide1.count)
        adapters.up[0].backward(x: recovered, rows: count, dy: dWide1, dx: dRecovered, compute: compute)

        // Undo step 8 in reverse order of evaluation: r_0 first, then r_1 ..< r_N.
        let dRs = (0..<n).map { _ in Matrix(rows: count, cols: k) }
        for q in 0..<count { dRs[q % n].row(q).update(from: dRecovered.row(q), count: k) }
        let dOs = (0..<n).map { _ in Matrix(rows: count, cols: k) }
        for slot in 0..<n {
            addVector(dOs[slot].base, dRs[slot].base, count: count * k)
            let negated = Matrix(rows: count, cols: k)
            for i in 0..<negated.count { negated.base[i] = -dRs[slot].base[i] }
            backpropagate(slot, demuxCalls[slot]!, dOut: negated, addingInto: slot == 0 ? dRs[n - 1] : dOs[slot - 1])
        }
        // Queries of a group may read the same row (BERT's [CLS], T5's answer): their shares add up.
        let dO = Matrix(rows: groups * outputLength, cols: d)
        for (q, row) in headRows.enumerated() {
            for slot in 0..<n { addVector(dO.row(row) + slot * k, dOs[slot].row(q), count: k) }
        }
        let dZ = encoder.backward(dO)

        // Undo step 5 from the last block down; x_{N-1} also feeds F_0.
        let dYs = (0..<n).map { block(dZ, $0, width: k) }
        for slot in stride(from: n - 1, through: 0, by: -1) {
            backpropagate(slot, muxCalls[slot], dOut: dYs[slot], addingInto: slot == 0 ? dYs[n - 1] : dYs[slot - 1])
        }
        // dx_n = dy_n (complete now: dy_{N-1} got F_0's share last).
        for slot in 0..<n {
            for row in 0..<rows { addVector(dX.row(row) + slot * k, dYs[slot].row(row), count: k) }
        }
        for q in 0..<count {
            linearBackward(x: batch.states.base + q * length * d, lda: d, rows: batch.shape.lengths[q],
                           dy: dX.base + (q / n) * length * d + (q % n) * k, ldy: d, weight: adapters.down.weight.value,
                           dWeight: adapters.down.weight.grad, dBias: adapters.down.bias.grad, dx: nil, ldx: 0)
        }
        return (loss, logits)
    }

    /// F_n(input) = fc2(relu(fc1(input))), keeping what its backward needs.
    private func apply(_ slot: Int, _ input: Matrix) -> AdapterCall {
        let (fc1, fc2) = adapters.couplings[slot]
        let hidden = Matrix(rows: input.rows, cols: fc1.outFeatures), output = Matrix(rows: input.rows, cols: fc2.outFeatures)
        compute.linear(input, fc1.linear, into: hidden)
        compute.relu(hidden)
        compute.linear(hidden, fc2.linear, into: output)
        return AdapterCall(input: input, hidden: hidden, output: output)
    }

    /// Adds F_n's parameter gradients for output gradient `dOut`, and Jᵀ·dOut to `dInput`.
    private func backpropagate(_ slot: Int, _ call: AdapterCall, dOut: Matrix, addingInto dInput: Matrix) {
        let (fc1, fc2) = adapters.couplings[slot]
        let dHidden = Matrix(rows: call.hidden.rows, cols: call.hidden.cols)
        fc2.backward(x: call.hidden, rows: call.hidden.rows, dy: dOut, dx: dHidden, compute: compute)
        Pointwise.reluBackward(dHidden.base, output: call.hidden.base, count: dHidden.count)
        fc1.backward(x: call.input, rows: call.input.rows, dy: dHidden, dx: dInput, accumulate: true, compute: compute)
    }
}

/// Block `slot` (columns [slot·k, (slot+1)·k)) of every row of `m`, packed.
func block(_ m: Matrix, _ slot: Int, width k: Int) -> Matrix {
    let out = Matrix(rows: m.rows, cols: k)
    for r in 0..<m.rows { out.row(r).update(from: m.row(r) + slot * k, count: k) }
    return out
}

/// Writes packed `source` into block `slot` of every row of `m`.
func scatter(_ source: Matrix, into m: Matrix, _ slot: Int, width k: Int) {
    for r in 0..<source.rows { (m.row(r) + slot * k).update(from: source.row(r), count: k) }
}
