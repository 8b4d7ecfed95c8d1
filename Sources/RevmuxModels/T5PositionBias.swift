import Foundation
import RevmuxCompute

/// T5's relative position bias: a learned [buckets, heads] table indexed by the bucketed
/// distance key − query. Every layer of a stack adds the same bias, so it is expanded once
/// per batch shape into one row per head over all distances −(length−1) … length−1.
public enum T5PositionBias {
    /// transformers' T5Attention._relative_position_bucket, in f32 like torch so that the
    /// logarithmic buckets' boundaries fall on the same distances.
    public static func bucket(_ relative: Int, bidirectional: Bool, buckets: Int, maxDistance: Int) -> Int {
        var buckets = buckets, base = 0, distance = relative
        if bidirectional {
            buckets /= 2
            if distance > 0 { base = buckets }
            distance = abs(distance)
        } else {
            distance = -min(distance, 0)
        }
        let exact = buckets / 2
        if distance < exact { return base + distance }
        let logRatio = logf(Float(distance) / Float(exact)) / Float(log(Double(maxDistance) / Double(exact)))
        return base + min(exact + Int(logRatio * Float(buckets - exact)), buckets - 1)
    }

    /// Fills `table` ([heads, 2·length − 1]): row h, column length − 1 + (key − query), is head
    /// h's bias for that distance. Causal stacks never look at positive distances.
    public static func expand(_ weights: Matrix, into table: Matrix, length: Int, bidirectional: Bool, maxDistance: Int) {
        let heads = weights.cols, buckets = weights.rows
        precondition(table.rows == heads && table.cols == max(1, 2 * length - 1))
        for column in 0..<(2 * length - 1) {
            let b = bucket(column - (length - 1), bidirectional: bidirectional, buckets: buckets, maxDistance: maxDistance)
            for h in 0..<heads { table[h, column] = weights[b, h] }
        }
    }
}
