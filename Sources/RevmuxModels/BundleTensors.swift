import RevmuxBundle
import RevmuxCompute
import RevmuxTensors

/// Shape-checked access to a bundle's tensors by canonical name, for every model and task.
extension BundleFile {
    /// The tensor `name`, which must have exactly `shape`.
    public func view(_ name: String, _ shape: [Int]) throws(ModelError) -> TensorView {
        guard let view = tensor(named: name) else { throw .missingTensor(name) }
        guard view.shape == shape else { throw .shape(name, view.shape, expected: shape) }
        return view
    }

    /// The tensor `name` decoded to f32 (from f32, f16, bf16 or dequantisable blocks).
    public func matrix(_ name: String, _ shape: [Int]) throws(ModelError) -> Matrix {
        let view = try view(name, shape)
        do {
            return try Matrix(view)
        } catch {
            throw .conversion(name, error)
        }
    }

    /// The tensor `name` as a weight: GGML blocks stay in the mapping, anything else is
    /// decoded to f32 (see `WeightMatrix`).
    public func weight(_ name: String, _ shape: [Int]) throws(ModelError) -> WeightMatrix {
        let view = try view(name, shape)
        do {
            return try WeightMatrix(view)
        } catch {
            throw .conversion(name, error)
        }
    }

    /// A PyTorch Linear whose weight may stay in blocks: `prefix.weight` [out, in] and, when
    /// `bias`, `prefix.bias` [out] in f32.
    public func weightLinear(_ prefix: String, out: Int, in inFeatures: Int, bias: Bool = true) throws(ModelError) -> WeightLinear {
        WeightLinear(weight: try weight(prefix + ".weight", [out, inFeatures]),
                     bias: bias ? try matrix(prefix + ".bias", [out]) : nil)
    }

    /// A PyTorch Linear: `prefix.weight` [out, in] and, when `bias`, `prefix.bias` [out].
    public func linear(_ prefix: String, out: Int, in inFeatures: Int, bias: Bool = true) throws(ModelError) -> Linear {
        Linear(weight: try matrix(prefix + ".weight", [out, inFeatures]), bias: bias ? try matrix(prefix + ".bias", [out]) : nil)
    }
}
