import RevmuxTensors

/// A row-major f32 matrix in one 64-byte-aligned allocation, zero-filled, never resized.
/// A class so buffers are shared, not copied; callers size them once per batch shape.
public final class Matrix: @unchecked Sendable {
    // Sendable: the storage is only written by code that partitions it by rows.
    public let rows: Int
    public let cols: Int
    public let base: UnsafeMutablePointer<Float>

    public init(rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0)
        self.rows = rows
        self.cols = cols
        let count = max(1, rows * cols)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        base = raw.initializeMemory(as: Float.self, repeating: 0, count: count)
    }

    /// A matrix holding `values` (row-major, `rows * cols` of them).
    public convenience init(rows: Int, cols: Int, values: [Float]) {
        precondition(values.count == rows * cols, "\(values.count) values for \(rows)x\(cols)")
        self.init(rows: rows, cols: cols)
        values.withUnsafeBufferPointer { base.update(from: $0.baseAddress!, count: values.count) }
    }

    /// A tensor decoded to f32 (f32, f16, bf16 or dequantisable blocks), 1-D as one row.
    public convenience init(_ tensor: TensorView) throws(ConversionError) {
        let rows = tensor.shape.count >= 2 ? tensor.shape.dropLast().reduce(1, *) : 1
        let cols = tensor.shape.last ?? 1
        self.init(rows: rows, cols: cols)
        try tensor.convert(into: storage)
    }

    deinit { base.deallocate() }

    public var count: Int { rows * cols }
    public var storage: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: base, count: count) }
    public func row(_ r: Int) -> UnsafeMutablePointer<Float> { base + r * cols }

    public subscript(r: Int, c: Int) -> Float {
        get { base[r * cols + c] }
        set { base[r * cols + c] = newValue }
    }

    public func toArray() -> [Float] { Array(storage) }

    /// A new matrix with the same values.
    public func copy() -> Matrix {
        let copy = Matrix(rows: rows, cols: cols)
        copy.base.update(from: base, count: count)
        return copy
    }
    public func rowArray(_ r: Int) -> [Float] { Array(UnsafeBufferPointer(start: row(r), count: cols)) }

    /// Copies the first `count` rows of `source` (as wide) into rows to ..< to + count.
    /// It takes the matrix, not its `base`: a pointer does not keep its matrix alive, so
    /// `row(to).update(from: f().base, …)` may read f's result after it has been freed.
    public func copyRows(_ count: Int, from source: Matrix, to: Int) {
        precondition(source.cols == cols && count >= 0 && to >= 0 && count <= source.rows && to + count <= rows,
                     "rows out of range")
        row(to).update(from: source.base, count: count * cols)
    }
    public func zero() { base.update(repeating: 0, count: count) }
}

/// A PyTorch `nn.Linear`: weight [out, in], optional bias [out].
public struct Linear: Sendable {
    public let weight: Matrix
    public let bias: Matrix?

    public init(weight: Matrix, bias: Matrix?) {
        precondition(bias == nil || bias!.count == weight.rows, "bias does not match weight rows")
        self.weight = weight
        self.bias = bias
    }

    public var inFeatures: Int { weight.cols }
    public var outFeatures: Int { weight.rows }

    /// Several linears over the same input stacked into one (e.g. Q, K and V).
    public static func stacking(_ parts: [Linear]) -> Linear {
        let inFeatures = parts[0].inFeatures
        precondition(parts.allSatisfy { $0.inFeatures == inFeatures })
        let rows = parts.reduce(0) { $0 + $1.outFeatures }
        let weight = Matrix(rows: rows, cols: inFeatures)
        let hasBias = parts.allSatisfy { $0.bias != nil }
        let bias = hasBias ? Matrix(rows: 1, cols: rows) : nil
        var at = 0
        for part in parts {
            (weight.base + at * inFeatures).update(from: part.weight.base, count: part.weight.count)
            if let bias, let b = part.bias { (bias.base + at).update(from: b.base, count: b.count) }
            at += part.outFeatures
        }
        return Linear(weight: weight, bias: bias)
    }
}
