import Foundation
import RevmuxBundle
import RevmuxJSON

/// One training example: a text (or a pair) and the index of its label.
public struct LabelledExample: Sendable, Equatable {
    public let text: String
    public let pair: String?
    public let label: Int
}

/// How to read a labelled data set: which columns (CSV/TSV header names or JSON keys) hold
/// the text, the optional pair and the label, and how raw label values map to the task's.
public struct DataSpec: Sendable {
    public enum Format: String, Sendable, CaseIterable { case csv, tsv, jsonl }

    public var format: Format
    public var textColumn: String
    public var pairColumn: String?
    public var labelColumn: String
    /// The task's labels in head order.
    public var labels: [String]
    /// Raw value → task label (e.g. fresh → positive); values neither here nor in `labels`
    /// are dropped (Rotten Tomatoes' "plot" rows).
    public var labelMap: [String: String]

    public init(format: Format, textColumn: String, pairColumn: String?, labelColumn: String, labels: [String],
                labelMap: [String: String]) {
        self.format = format
        self.textColumn = textColumn
        self.pairColumn = pairColumn
        self.labelColumn = labelColumn
        self.labels = labels
        self.labelMap = labelMap
    }

    /// The format a file name implies (.csv, .tsv, .jsonl/.json).
    public static func format(for path: String) -> Format? {
        switch (path as NSString).pathExtension.lowercased() {
        case "csv": .csv
        case "tsv": .tsv
        case "jsonl", "json", "ndjson": .jsonl
        default: nil
        }
    }
}

/// A data set read whole, with the count of rows whose label the task does not use.
public struct LabelledData: Sendable {
    public let examples: [LabelledExample]
    public let dropped: Int

    public init(path: String, spec: DataSpec) throws(TrainError) {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw .io("\(path): cannot read") }
        guard let text = String(data: bytes, encoding: .utf8) else { throw .data("\(path): not valid UTF-8") }
        let index = Dictionary(uniqueKeysWithValues: spec.labels.enumerated().map { ($1, $0) })
        func label(_ raw: String) -> Int? { index[spec.labelMap[raw] ?? raw] }
        var examples: [LabelledExample] = [], dropped = 0
        switch spec.format {
        case .csv, .tsv:
            let rows = DelimitedText.rows(text, separator: spec.format == .csv ? "," : "\t")
            guard let header = rows.first else { throw .data("\(path): empty") }
            func column(_ name: String) throws(TrainError) -> Int {
                guard let at = header.firstIndex(of: name) else {
                    throw .data("\(path): no column \"\(name)\" in the header (\(header.joined(separator: ", ")))")
                }
                return at
            }
            let textAt = try column(spec.textColumn), labelAt = try column(spec.labelColumn)
            let pairAt: Int? = if let pair = spec.pairColumn { try column(pair) } else { nil }
            for (number, row) in rows.enumerated().dropFirst() where !(row.count == 1 && row[0].isEmpty) {
                guard row.count == header.count else {
                    throw .data("\(path): record \(number + 1) has \(row.count) fields, the header \(header.count)")
                }
                guard let y = label(row[labelAt]) else { dropped += 1; continue }
                examples.append(LabelledExample(text: row[textAt], pair: pairAt.map { row[$0] }, label: y))
            }
        case .jsonl:
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where !line.allSatisfy(\.isWhitespace) {
                let document: JSONDocument
                do {
                    document = try Array(line.utf8).withUnsafeBytes { (raw) throws(JSONError) in try JSONDocument(parsing: raw) }
                } catch {
                    throw .data("\(path): line \(number + 1) is not valid JSON: \(error)")
                }
                let root = document.root
                guard let text = root[spec.textColumn]?.string else {
                    throw .data("\(path): line \(number + 1) has no string \"\(spec.textColumn)\"")
                }
                let raw = root[spec.labelColumn]?.string ?? root[spec.labelColumn]?.int.map(String.init)
                guard let raw, let y = label(raw) else { dropped += 1; continue }
                examples.append(LabelledExample(text: text, pair: spec.pairColumn.flatMap { root[$0]?.string }, label: y))
            }
        }
        guard !examples.isEmpty else { throw .data("\(path): no example has one of the labels \(spec.labels)") }
        self.examples = examples
        self.dropped = dropped
    }

    /// A deterministic 80/10/10 train/dev/test split: a SplitMix64 shuffle by `seed`.
    public func split(seed: UInt64) -> (train: [LabelledExample], dev: [LabelledExample], test: [LabelledExample]) {
        var order = Array(examples.indices)
        var random = SplitMix64(seed: seed)
        for i in stride(from: order.count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(random.next() % UInt64(i + 1)))
        }
        let trainEnd = order.count * 8 / 10, devEnd = order.count * 9 / 10
        let pick = { (range: Range<Int>) in range.map { examples[order[$0]] } }
        return (pick(0..<trainEnd), pick(trainEnd..<devEnd), pick(devEnd..<order.count))
    }
}

/// RFC 4180 records: fields separated by `separator`, optionally double-quoted (quotes
/// doubled inside), records by LF or CRLF, quoted fields may span lines.
enum DelimitedText {
    static func rows(_ text: String, separator: Character) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false, afterQuote = false
        var iterator = text.makeIterator()
        while let c = iterator.next() {
            if quoted {
                if c == "\"" { quoted = false; afterQuote = true } else { field.append(c) }
                continue
            }
            switch c {
            case "\"":
                if afterQuote { field.append("\"") }
                quoted = true
                afterQuote = false
            case separator:
                row.append(field); field = ""; afterQuote = false
            case "\n", "\r\n":
                row.append(field); rows.append(row); row = []; field = ""; afterQuote = false
            default:
                field.append(c); afterQuote = false
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}
