import RevmuxCompute

/// BERT's head over the [CLS] state: the frozen pooler (dense + tanh), when the model has
/// one, then the task's classifier.
struct ClassifierHead {
    let pooler: Linear?
    let classifier: Linear

    /// Logits [rows][labels] for the first `rows` rows of `states` (one [CLS] state each).
    func logits(_ states: Matrix, rows: Int, compute: Compute) -> [[Float]] {
        let input = pooler.map { compute.denseTanh(states, rows: rows, $0) } ?? states
        let out = Matrix(rows: rows, cols: classifier.outFeatures)
        compute.linear(input, rows: rows, classifier, into: out)
        return (0..<rows).map(out.rowArray)
    }
}
