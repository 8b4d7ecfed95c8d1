/// Where a validated tensor lies in its file: the parsers produce these without
/// touching tensor data, and `MappedFile.tensor(_:)` turns one into a view.
public struct TensorEntry: Hashable, Sendable {
    public let name: String
    public let type: TensorType
    /// Row-major, outermost dimension first.
    public let shape: [Int]
    /// Absolute byte range within the file; its length matches `type` and `shape`.
    public let byteRange: Range<Int>

    public init(name: String, type: TensorType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.type = type
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Validated shapes have a product that fits Int, but with a zero dimension the partial
    /// products before it need not: [2^40, 2^40, 0] is a valid empty tensor.
    public var elementCount: Int { shape.contains(0) ? 0 : shape.reduce(1, *) }
}

extension MappedFile {
    /// A zero-copy view of a tensor that a parser validated against this file.
    public func tensor(_ entry: TensorEntry) -> TensorView {
        precondition(entry.byteRange.upperBound <= count, "\(entry.name) lies past the end of \(path)")
        return TensorView(entry: entry, storage: self)
    }
}
