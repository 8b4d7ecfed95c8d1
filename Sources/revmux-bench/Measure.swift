import Foundation

/// Median wall time of `repeats` runs of `body`, after one untimed warm-up run.
func time(_ repeats: Int, _ body: () throws -> Void) throws -> Double {
    try body()
    var times: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return median(times)
}

/// The middle value, or the mean of the two middle ones for an even count.
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }

/// How many times faster revmux is than the peer.
func ratio(_ peer: Double, _ ours: Double) -> String { String(format: "%.1fx", peer / ours) }

func printTable(_ rows: [[String]]) {
    let widths = (0..<rows[0].count).map { column in rows.map { $0[column].count }.max()! }
    for row in rows {
        print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
}
