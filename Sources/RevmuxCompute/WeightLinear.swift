/// A PyTorch `nn.Linear` whose weight may stay in GGML blocks: weight [out, in], optional
/// bias [out] (biases are vectors, always f32).
public struct WeightLinear: Sendable {
    public let weight: WeightMatrix
    public let bias: Matrix?

    public init(weight: WeightMatrix, bias: Matrix?) {
        precondition(bias == nil || bias!.count == weight.rows, "bias does not match weight rows")
        self.weight = weight
        self.bias = bias
    }

    public var inFeatures: Int { weight.cols }
    public var outFeatures: Int { weight.rows }
}

/// Linears over the same input whose outputs lie side by side (Q, K and V; gate and up).
/// Dense parts are stacked into one matrix at load, so they take one GEMM. Block parts stay
/// separate products over their own mapped rows: every product runs tile by tile anyway, and
/// a stacked copy of MiniLM's Q, K and V blocks was within noise (1-2% faster on batches of
/// 32, either way on single sentences, 2 threads) while costing a copy of them.
public struct StackedLinear: Sendable {
    public let parts: [WeightLinear]

    public init(_ parts: [WeightLinear]) {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.inFeatures == parts[0].inFeatures })
        let dense = parts.compactMap { part -> Linear? in
            guard case .dense(let weight) = part.weight else { return nil }
            return Linear(weight: weight, bias: part.bias)
        }
        // Stacking drops the biases unless every part has one, so only all-or-none stack.
        if parts.count > 1, dense.count == parts.count, dense.allSatisfy({ $0.bias != nil }) || dense.allSatisfy({ $0.bias == nil }) {
            let stacked = Linear.stacking(dense)
            self.parts = [WeightLinear(weight: .dense(stacked.weight), bias: stacked.bias)]
        } else {
            self.parts = parts
        }
    }

    public var inFeatures: Int { parts[0].inFeatures }
    public var outFeatures: Int { parts.reduce(0) { $0 + $1.outFeatures } }
}

extension Compute {
    /// C[rows, out] = A[rows, in] · Wᵀ + bias, with W dense or in blocks (see `linear` over a
    /// `WeightMatrix`). The bias is written into C first and the product added to it: one pass
    /// over C fewer than adding it afterwards, and OpenBLAS skips zeroing C.
    public func linear(_ a: UnsafePointer<Float>, lda: Int, rows: Int, _ layer: WeightLinear,
                       into c: UnsafeMutablePointer<Float>, ldc: Int, scratch: TileScratch) {
        if let bias = layer.bias.map({ UnsafePointer($0.base) }) {
            let n = layer.outFeatures
            forEachChunk(rows: rows, minRows: 16) { range in
                for r in range { (c + r * ldc).update(from: bias, count: n) }
            }
        }
        linear(a, lda: lda, rows: rows, layer.weight, into: c, ldc: ldc, adding: layer.bias != nil, scratch: scratch)
    }

    /// `y = x · Wᵀ + b` over the first `rows` rows (all of x by default).
    public func linear(_ x: Matrix, rows: Int? = nil, _ layer: WeightLinear, into y: Matrix, scratch: TileScratch) {
        let rows = rows ?? x.rows
        precondition(x.cols == layer.inFeatures && y.cols == layer.outFeatures && rows <= x.rows && rows <= y.rows)
        linear(x.base, lda: x.cols, rows: rows, layer, into: y.base, ldc: y.cols, scratch: scratch)
    }

    /// `y = x · [W₁; W₂; …]ᵀ + [b₁; b₂; …]` over the first `rows` rows: each part fills its own
    /// columns of y.
    public func linear(_ x: Matrix, rows: Int? = nil, _ layer: StackedLinear, into y: Matrix, scratch: TileScratch) {
        let rows = rows ?? x.rows
        precondition(x.cols == layer.inFeatures && y.cols == layer.outFeatures && rows <= x.rows && rows <= y.rows)
        var column = 0
        for part in layer.parts {
            linear(x.base, lda: x.cols, rows: rows, part, into: y.base + column, ldc: y.cols, scratch: scratch)
            column += part.outFeatures
        }
    }
}
