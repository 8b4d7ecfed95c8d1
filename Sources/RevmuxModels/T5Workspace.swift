import RevmuxCompute

/// Encoder buffers for one batch shape, allocated once and reused by every layer.
final class T5EncoderWorkspace: @unchecked Sendable {
    let count: Int, length: Int
    let hidden: Matrix       // [count·length, hidden]: the residual stream
    let normed: Matrix       // [count·length, hidden]
    let qkv: Matrix          // [count·length, 3·inner]
    let context: Matrix      // [count·length, inner]
    let projected: Matrix    // [count·length, hidden]
    let ff: Matrix           // [count·length, d_ff, or 2·d_ff gated: activated half first]
    let scores: Matrix       // [count·heads, length·length]
    let bias: Matrix         // [heads, 2·length − 1]

    init(_ config: T5Config, count: Int, length: Int) {
        self.count = count
        self.length = length
        let rows = count * length, inner = config.innerSize
        hidden = Matrix(rows: rows, cols: config.hiddenSize)
        normed = Matrix(rows: rows, cols: config.hiddenSize)
        qkv = Matrix(rows: rows, cols: 3 * inner)
        context = Matrix(rows: rows, cols: inner)
        projected = Matrix(rows: rows, cols: config.hiddenSize)
        ff = Matrix(rows: rows, cols: (config.gated ? 2 : 1) * config.intermediateSize)
        scores = Matrix(rows: count * config.heads, cols: length * length)
        bias = Matrix(rows: config.heads, cols: max(1, 2 * length - 1))
    }
}

/// Decoder buffers for one (batch, encoder length, decoder length) shape.
final class T5DecoderWorkspace: @unchecked Sendable {
    let count: Int, length: Int, encoderLength: Int
    let hidden: Matrix       // [count·length, hidden]
    let normed: Matrix       // [count·length, hidden]
    let qkv: Matrix          // [count·length, 3·inner]
    let crossQ: Matrix       // [count·length, inner]
    let crossKV: Matrix      // [count·encoderLength, 2·inner]
    let context: Matrix      // [count·length, inner]
    let projected: Matrix    // [count·length, hidden]
    let ff: Matrix           // [count·length, d_ff or 2·d_ff]
    let scores: Matrix       // [count·heads, length·max(length, encoderLength)]
    let bias: Matrix         // [heads, 2·length − 1]

    init(_ config: T5Config, count: Int, length: Int, encoderLength: Int) {
        self.count = count
        self.length = length
        self.encoderLength = encoderLength
        let rows = count * length, inner = config.innerSize
        hidden = Matrix(rows: rows, cols: config.hiddenSize)
        normed = Matrix(rows: rows, cols: config.hiddenSize)
        qkv = Matrix(rows: rows, cols: 3 * inner)
        crossQ = Matrix(rows: rows, cols: inner)
        crossKV = Matrix(rows: count * encoderLength, cols: 2 * inner)
        context = Matrix(rows: rows, cols: inner)
        projected = Matrix(rows: rows, cols: config.hiddenSize)
        ff = Matrix(rows: rows, cols: (config.gated ? 2 : 1) * config.intermediateSize)
        scores = Matrix(rows: count * config.heads, cols: length * max(length, encoderLength))
        bias = Matrix(rows: config.heads, cols: max(1, 2 * length - 1))
    }
}
