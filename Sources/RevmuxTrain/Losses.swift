import Foundation
import RevmuxCompute

/// The training losses of ../shared/revmux-method.md with their gradients. Each returns the
/// batch-mean loss and writes (or adds, scaled by `weight`) d(weight·loss)/d(input).
public enum Losses {
    /// Softmax cross-entropy of `logits` [rows, classes] against `labels`; also counts hits.
    public static func crossEntropy(_ logits: Matrix, labels: [Int], weight: Float = 1, into grad: Matrix)
        -> (loss: Float, correct: Int) {
        let rows = labels.count, classes = logits.cols
        var loss: Float = 0, correct = 0
        for r in 0..<rows {
            let z = logits.row(r), g = grad.row(r)
            var best = 0
            for c in 1..<classes where z[c] > z[best] { best = c }
            if best == labels[r] { correct += 1 }
            g.update(from: z, count: classes)
            softmaxExact(g, count: classes)
            loss -= logf(max(g[labels[r]], .leastNormalMagnitude))
            g[labels[r]] -= 1
            for c in 0..<classes { g[c] *= weight / Float(rows) }
        }
        return (loss / Float(rows), correct)
    }

    /// InfoNCE distillation: s_i = student_i/‖student_i‖, t_j likewise; logits scale·s_i·t_j,
    /// target j = i, mean over i. Adds weight·d/d(student) to `grad` (the teacher is frozen).
    public static func infoNCE(student: Matrix, teacher: Matrix, rows: Int, scale: Float = 20, weight: Float,
                               addingInto grad: Matrix) -> Float {
        let d = student.cols
        let s = Matrix(rows: rows, cols: d), t = Matrix(rows: rows, cols: d)
        var norms = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            norms[r] = normalize(student.row(r), into: s.row(r), count: d)
            _ = normalize(teacher.row(r), into: t.row(r), count: d)
        }
        let logits = Matrix(rows: rows, cols: rows)
        sgemmABt(m: rows, n: rows, k: d, alpha: scale, s.base, lda: d, t.base, ldb: d, beta: 0, logits.base, ldc: rows)
        let dLogits = Matrix(rows: rows, cols: rows)
        let (loss, _) = crossEntropy(logits, labels: Array(0..<rows), weight: weight, into: dLogits)
        // ds = scale · dLogits · t; then through the normalisation: (ds − s·(s·ds)) / ‖x‖.
        let ds = Matrix(rows: rows, cols: d)
        sgemmAB(m: rows, n: d, k: rows, alpha: scale, dLogits.base, lda: rows, t.base, ldb: d, beta: 0, ds.base, ldc: d)
        for r in 0..<rows {
            let sr = s.row(r), g = ds.row(r), out = grad.row(r)
            var dot: Float = 0
            for c in 0..<d { dot += sr[c] * g[c] }
            let inv = 1 / norms[r]
            for c in 0..<d { out[c] += (g[c] - sr[c] * dot) * inv }
        }
        return loss
    }

    /// Mean |cos(x_i[t], x_j[t])| over the pairs i < j of each group and the positions t real
    /// in both (each pair's positions averaged, then the pairs). `x` holds the down-projected
    /// queries in mixed layout: row g·length + t, block n in columns [n·k, (n+1)·k).
    public static func absCosine(_ x: Matrix, groups: Int, width: Int, length: Int, lengths: [Int], weight: Float,
                                 addingInto grad: Matrix) -> Float {
        let k = x.cols / width
        var pairs: [(Int, Int, Int)] = []   // (group, i, j) with both queries present and overlapping
        for g in 0..<groups {
            for i in 0..<width {
                for j in (i + 1)..<width {
                    let a = g * width + i, b = g * width + j
                    guard b < lengths.count, min(lengths[a], lengths[b]) > 0 else { continue }
                    pairs.append((g, i, j))
                }
            }
        }
        guard !pairs.isEmpty else { return 0 }
        var total: Float = 0
        for (g, i, j) in pairs {
            let common = min(lengths[g * width + i], lengths[g * width + j])
            let pairWeight = weight / Float(pairs.count * common)
            for t in 0..<common {
                let row = g * length + t
                let a = x.row(row) + i * k, b = x.row(row) + j * k
                var ab: Float = 0, aa: Float = 0, bb: Float = 0
                for c in 0..<k { ab += a[c] * b[c]; aa += a[c] * a[c]; bb += b[c] * b[c] }
                let na = max(aa.squareRoot(), 1e-8), nb = max(bb.squareRoot(), 1e-8)
                let cosine = ab / (na * nb)
                total += abs(cosine) / Float(common)
                // d|cos|/da = sign · (b/(‖a‖‖b‖) − cos·a/‖a‖²), symmetric for b.
                let sign: Float = cosine >= 0 ? 1 : -1
                let ga = grad.row(row) + i * k, gb = grad.row(row) + j * k
                for c in 0..<k {
                    ga[c] += pairWeight * sign * (b[c] / (na * nb) - cosine * a[c] / (na * na))
                    gb[c] += pairWeight * sign * (a[c] / (na * nb) - cosine * b[c] / (nb * nb))
                }
            }
        }
        return total / Float(pairs.count)
    }

    /// out = v/‖v‖; returns ‖v‖ (floored like torch's F.normalize, eps 1e-12).
    private static func normalize(_ v: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) -> Float {
        var sum: Float = 0
        for c in 0..<count { sum += v[c] * v[c] }
        let norm = max(sum.squareRoot(), 1e-12)
        for c in 0..<count { out[c] = v[c] / norm }
        return norm
    }

    /// Softmax with libm's expf: the loss needs accuracy more than speed.
    private static func softmaxExact(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var peak = -Float.infinity
        for i in 0..<count { peak = max(peak, x[i]) }
        var sum: Float = 0
        for i in 0..<count { x[i] = expf(x[i] - peak); sum += x[i] }
        for i in 0..<count { x[i] /= sum }
    }
}
