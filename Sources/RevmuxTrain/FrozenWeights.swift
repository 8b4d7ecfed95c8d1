import RevmuxBundle
import RevmuxCompute
import RevmuxModels

/// How frozen layers read their weights from a bundle, decoded to f32.
extension BundleFile {
    func frozenMatrix(_ name: String, _ shape: [Int]) throws(TrainError) -> Matrix {
        do {
            return try matrix(name, shape)
        } catch {
            throw .model(error)
        }
    }

    /// `prefix`.weight [out, in], with `prefix`.bias [out] when the model has biases.
    func frozenLinear(_ prefix: String, out: Int, in inFeatures: Int, bias: Bool) throws(TrainError) -> Linear {
        Linear(weight: try frozenMatrix(prefix + ".weight", [out, inFeatures]),
               bias: bias ? try frozenMatrix(prefix + ".bias", [out]) : nil)
    }
}
