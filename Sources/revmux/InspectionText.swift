import Foundation
import RevmuxFormats

/// The human-readable form of an `Inspection`: a summary, then aligned tables.
struct InspectionText {
    let inspection: Inspection

    init(_ inspection: Inspection) {
        self.inspection = inspection
    }

    func render() -> String {
        var lines: [String] = []
        var format = inspection.format.rawValue
        if let version = inspection.version { format += " v\(version)" }
        lines.append("\(inspection.path): \(format)")
        if let model = inspection.model { lines.append("model:     \(describe(model))") }
        if !inspection.tokenizer.isEmpty { lines.append("tokenizer: \(inspection.tokenizer.joined(separator: ", "))") }
        if !inspection.shards.isEmpty { lines.append("files:     \(inspection.shards.joined(separator: ", "))") }

        let summary = inspection.summary
        let types = summary.types.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            .map { "\($0.key) x\($0.value)" }.joined(separator: ", ")
        lines.append("tensors:   \(summary.count) (\(humanCount(summary.parameters)) parameters, \(humanBytes(summary.bytes)); \(types))")

        if !inspection.metadata.isEmpty {
            lines.append("")
            let count = inspection.metadata.count
            lines.append("metadata (\(count) \(count == 1 ? "key" : "keys")):")
            lines += table(inspection.metadata.map { [$0.key, typeName($0), show($0)] }, indent: "  ")
        }
        lines.append("")
        let showFile = inspection.tensors.contains { $0.file != nil }
        let header = ["name", "type", "shape", "offset", "bytes"] + (showFile ? ["file"] : [])
        let rows = inspection.tensors.map { tensor in
            [tensor.name, tensor.type, "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]",
             String(tensor.offset), String(tensor.bytes)] + (showFile ? [lastComponent(tensor.file ?? "")] : [])
        }
        lines += table([header] + rows, indent: "  ")
        return lines.joined(separator: "\n") + "\n"
    }

    private func describe(_ model: ModelSummary) -> String {
        var parts: [String] = []
        if let architecture = model.architecture { parts.append(architecture) }
        if let type = model.modelType, type != model.architecture { parts.append("(\(type))") }
        let numbers: [(String, Int?)] = [
            ("hidden", model.hiddenSize), ("layers", model.layers), ("decoder layers", model.decoderLayers),
            ("heads", model.attentionHeads), ("kv heads", model.keyValueHeads), ("ffn", model.intermediateSize),
            ("vocab", model.vocabularySize), ("context", model.contextLength),
        ]
        let shown = numbers.compactMap { name, value in value.map { "\(name) \($0)" } }
        return (parts + [shown.joined(separator: ", ")]).joined(separator: " ")
    }

    private func typeName(_ item: MetadataItem) -> String {
        item.arrayType.map { "\(item.type)[\($0)]" } ?? item.type
    }

    private func show(_ item: MetadataItem) -> String {
        let text = show(item.value)
        guard let length = item.length else { return text }
        return length > MetadataItem.shownElements ? "\(length) items: \(text.dropLast()), ...]" : text
    }

    private func show(_ value: MetadataValue) -> String {
        switch value {
        case .integer(let v): String(v)
        case .unsigned(let v): String(v)
        case .float32(let v): String(v)
        case .float(let v): String(v)
        case .bool(let v): String(v)
        case .string(let v): shorten(v)
        case .list(let values): "[" + values.map(show).joined(separator: ", ") + "]"
        }
    }

    /// Long strings (chat templates, licences) are cut to one readable line.
    private func shorten(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: "\\n")
        return flat.count > 60 ? "\"\(flat.prefix(57))...\"" : "\"\(flat)\""
    }
}

func table(_ rows: [[String]], indent: String) -> [String] {
    guard let columns = rows.map(\.count).max() else { return [] }
    let widths = (0..<columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
    return rows.map { row in
        let cells = row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }
        return indent + cells.joined(separator: "  ")
    }
}

func humanBytes(_ bytes: Int) -> String {
    let units = ["B", "KB", "MB", "GB", "TB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1000, unit < units.count - 1 {
        value /= 1000
        unit += 1
    }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

func humanCount(_ count: Int) -> String {
    switch count {
    case 1_000_000_000...: String(format: "%.2fB", Double(count) / 1e9)
    case 1_000_000...: String(format: "%.1fM", Double(count) / 1e6)
    case 1_000...: String(format: "%.1fK", Double(count) / 1e3)
    default: String(count)
    }
}

func lastComponent(_ path: String) -> String {
    path.split(separator: "/").last.map(String.init) ?? path
}
