import RevmuxCompute

/// Where a verbaliser reads its answer in the frozen stack's output.
public enum AnswerPosition: Sendable {
    /// LLaMA: each query's own last real token.
    case lastToken
    /// T5: this position of the decoder, the same for every query (0: the output of
    /// decoder_start_token_id, which predicts the answer's first token).
    case decoder(Int)
}

/// The LLaMA and T5 verbaliser head over separated states: the final RMSNorm (whose output
/// InfoNCE compares, as the teacher's state is read after it), then logits against the LM
/// head's rows of the label words only.
public final class VerbaliserHead: TrainingHead {
    /// The final norm's weights (T5's with a tied head's hidden_size^-0.5 folded in).
    public let finalNorm: Matrix
    /// [labels, d]: the LM head's row of each label word's first token.
    public let labelRows: Matrix
    public let eps: Float
    public let answer: AnswerPosition
    private var u = Matrix(rows: 0, cols: 0), inverseRms = Matrix(rows: 0, cols: 0), rows = 0

    public init(finalNorm: Matrix, labelRows: Matrix, eps: Float, answer: AnswerPosition = .lastToken) {
        precondition(finalNorm.count == labelRows.cols)
        self.finalNorm = finalNorm
        self.labelRows = labelRows
        self.eps = eps
        self.answer = answer
    }

    public func position(length: Int) -> Int {
        switch answer {
        case .lastToken: length - 1
        case .decoder(let position): position
        }
    }

    public func forward(_ u: Matrix, rows: Int) -> (compared: Matrix, logits: Matrix) {
        let d = u.cols
        self.u = u
        self.rows = rows
        inverseRms = Matrix(rows: rows, cols: 1)
        let normed = Matrix(rows: rows, cols: d), logits = Matrix(rows: rows, cols: labelRows.rows)
        Pointwise.rmsNorm(u, rows: rows, gamma: finalNorm, eps: eps, inverseRms: inverseRms, into: normed)
        sgemmABt(m: rows, n: labelRows.rows, k: d, alpha: 1, normed.base, lda: d, labelRows.base, ldb: d, beta: 0,
                 logits.base, ldc: logits.cols)
        return (normed, logits)
    }

    public func backward(dLogits: Matrix, dCompared: Matrix, addingInto dU: Matrix) {
        let d = u.cols
        let dNormed = Matrix(rows: rows, cols: d)
        dNormed.base.update(from: dCompared.base, count: rows * d)
        sgemmAB(m: rows, n: d, k: labelRows.rows, alpha: 1, dLogits.base, lda: dLogits.cols, labelRows.base, ldb: d,
                beta: 1, dNormed.base, ldc: d)
        Pointwise.rmsNormBackward(dNormed, rows: rows, gamma: finalNorm, input: u, inverseRms: inverseRms, addingInto: dU)
    }
}
