import RevmuxTensors

/// A weight matrix [rows, cols] either decoded to f32 or left as GGML blocks in the
/// memory-mapped file, so a quantised model never holds a dequantised copy of itself.
public enum WeightMatrix: Sendable {
    case dense(Matrix)
    case blocks(BlockRows)

    /// f32, f16 and bf16 tensors (and block types whose rows don't split into whole blocks)
    /// are decoded at load; dequantisable block types stay as blocks.
    public init(_ tensor: TensorView) throws(ConversionError) {
        if case .quantized(let quant) = tensor.type, quant.canDequantize, tensor.shape.count == 2,
           tensor.shape[1] % quant.blockSize == 0 {
            self = .blocks(BlockRows(tensor, quant))
        } else {
            self = .dense(try Matrix(tensor))
        }
    }

    public var rows: Int {
        switch self {
        case .dense(let m): m.rows
        case .blocks(let b): b.rows
        }
    }

    public var cols: Int {
        switch self {
        case .dense(let m): m.cols
        case .blocks(let b): b.cols
        }
    }

    /// Writes row `r` as f32 to `out` (`cols` floats): an embedding lookup.
    @inline(__always)
    public func copyRow(_ r: Int, to out: UnsafeMutablePointer<Float>) {
        switch self {
        case .dense(let m): out.update(from: m.row(r), count: m.cols)
        case .blocks(let b): b.dequantize(rows: r..<(r + 1), into: out)
        }
    }
}

/// The rows of a 2-D block-quantised tensor; each row is a whole number of blocks.
public struct BlockRows: Sendable {
    public let quant: QuantType
    public let rows: Int
    public let cols: Int
    let rowBytes: Int
    // Keeps the mapping that `data` points into alive.
    let tensor: TensorView

    init(_ tensor: TensorView, _ quant: QuantType) {
        self.tensor = tensor
        self.quant = quant
        rows = tensor.shape[0]
        cols = tensor.shape[1]
        rowBytes = cols / quant.blockSize * quant.blockBytes
        precondition(tensor.data.count == rows * rowBytes, "\(tensor.name): \(tensor.data.count) bytes for \(rows) rows of \(rowBytes)")
    }

    /// Dequantises `range` rows into `out` ([range.count, cols], row-major).
    @inline(__always)
    public func dequantize(rows range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let blocks = UnsafeRawBufferPointer(rebasing: tensor.data[(range.lowerBound * rowBytes)..<(range.upperBound * rowBytes)])
        quant.dequantize(blocks: blocks, into: UnsafeMutableBufferPointer(start: out, count: range.count * cols))
    }
}
