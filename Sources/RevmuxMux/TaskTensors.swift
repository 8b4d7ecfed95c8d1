import RevmuxBundle
import RevmuxCompute
import RevmuxModels

/// Loads a task's tensors by their canonical names (schemas/bundle.md), shape-checked.
struct TaskTensors {
    let bundle: BundleFile

    func linear(_ prefix: String, out: Int, in inFeatures: Int) throws(MuxError) -> Linear {
        do {
            return try bundle.linear(prefix, out: out, in: inFeatures)
        } catch {
            throw .model(error)
        }
    }
}

/// The trained (or random) RevMUX tensors of a task: W_down, F_0..F_{N-1} and U.
struct MuxAdapters {
    let down: Linear
    let couplings: [CouplingAdapter]
    let up: [Linear]   // k → 3d → 3d → d, ReLU between

    init(_ tensors: TaskTensors, hidden d: Int, width: Int) throws(MuxError) {
        let k = d / width
        down = try tensors.linear("revmux.down", out: k, in: d)
        var couplings: [CouplingAdapter] = []
        for n in 0..<width {
            couplings.append(CouplingAdapter(fc1: try tensors.linear("revmux.mux.\(n).fc1", out: d, in: k),
                                             fc2: try tensors.linear("revmux.mux.\(n).fc2", out: k, in: d)))
        }
        self.couplings = couplings
        up = [try tensors.linear("revmux.up.fc1", out: 3 * d, in: k),
              try tensors.linear("revmux.up.fc2", out: 3 * d, in: 3 * d),
              try tensors.linear("revmux.up.fc3", out: d, in: 3 * d)]
    }
}
