extension QuantType {
    /// Whether `dequantize` decodes this type.
    public var canDequantize: Bool {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K: true
        default: false
        }
    }

    /// Decodes whole blocks to f32, bit for bit as `gguf.quants.dequantize` does.
    /// `blocks.count` must be `output.count / blockSize * blockBytes`.
    public func dequantize(blocks: UnsafeRawBufferPointer, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(canDequantize && output.count % blockSize == 0 && blocks.count == output.count / blockSize * blockBytes)
        fatalError("TODO(helper): kernels for \(name)")
    }
}
