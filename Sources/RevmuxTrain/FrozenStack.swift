import RevmuxCompute
import RevmuxModels

/// The frozen layers [cf, L) of a backbone, run for training: `forward` keeps what `backward`
/// needs, and `backward` carries the output's gradient down to the input (weights frozen).
/// AdapterObjective needs only this, so one objective serves every family.
public protocol FrozenStack: AnyObject {
    var hidden: Int { get }
    /// Runs every layer on the first `shape.rows` rows of `x`; returns the last layer's output.
    func forward(_ x: Matrix, _ shape: PaddedShape) -> Matrix
    /// The gradient w.r.t. the last `forward`'s input, from its output's gradient.
    func backward(_ dOut: Matrix) -> Matrix
    /// Rows per sequence of `forward`'s output for input `shape`: its padded length, except
    /// for T5, whose output is the decoder's.
    func outputLength(_ shape: PaddedShape) -> Int
}

extension FrozenStack {
    public func outputLength(_ shape: PaddedShape) -> Int { shape.length }
}

/// A frozen task head over the separated, up-projected states, one per query.
public protocol TrainingHead: AnyObject {
    /// The position of a query's sequence the head reads, from the query's real length.
    func position(length: Int) -> Int
    /// For the first `rows` rows of `u`: the state InfoNCE compares with the teacher's (the
    /// teacher states in FrozenStates are the same function of the plain path) and the
    /// logits. Keeps what `backward` needs.
    func forward(_ u: Matrix, rows: Int) -> (compared: Matrix, logits: Matrix)
    /// Adds d(loss)/d(u) for the given gradients of the last `forward`'s outputs to `dU`.
    func backward(dLogits: Matrix, dCompared: Matrix, addingInto dU: Matrix)
}
