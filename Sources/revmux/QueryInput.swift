import ArgumentParser
import Foundation
import RevmuxJSON
import RevmuxMux

/// How `revmux run` and `revmux embed` read their input.
enum InputFormat: String, ExpressibleByArgument, CaseIterable {
    case auto, lines, tsv, jsonl
}

/// One input record: a query, and the label it should get when the input says.
struct InputRecord {
    let line: Int
    let query: TextQuery
    let label: String?
}

/// A line that is not a query, with its number.
struct InputProblem: Error {
    let line: Int
    let message: String
}

/// What is wrong with a line, before its number is known.
struct LineProblem: Error, ExpressibleByStringInterpolation {
    let message: String

    init(stringLiteral value: String) {
        message = value
    }
}

/// Input records, read line by line (memory stays flat whatever the input's length).
///
/// - lines: each non-empty line is one text.
/// - tsv: `text`, `text<TAB>label`, or `text_a<TAB>text_b<TAB>label`; with two columns the
///   second is a label when it names one of `labels`, otherwise the pair's second text.
/// - jsonl: objects with `text` (or `text_a` and `text_b`) and an optional `label` (a string
///   or a label index).
/// Blank lines are skipped.
struct QueryInput: Sequence, IteratorProtocol {
    private var lines: LineReader
    private let format: InputFormat
    private let labels: Set<String>
    private let labelList: [String]
    private var number = 0

    init(_ handle: FileHandle, format: InputFormat, labels: [String]) {
        lines = LineReader(handle)
        self.format = format
        self.labels = Set(labels)
        labelList = labels
    }

    /// The format a file's name implies (.tsv, .jsonl/.json); plain lines otherwise.
    static func format(for path: String?) -> InputFormat {
        switch (path.map { ($0 as NSString).pathExtension.lowercased() }) {
        case "tsv"?: .tsv
        case "jsonl"?, "json"?, "ndjson"?: .jsonl
        default: .lines
        }
    }

    mutating func next() -> Result<InputRecord, InputProblem>? {
        while let raw = lines.next() {
            number += 1
            if raw.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            return parse(raw).mapError { InputProblem(line: number, message: $0.message) }
                .map { InputRecord(line: number, query: $0.0, label: $0.1) }
        }
        return nil
    }

    private func parse(_ raw: [UInt8]) -> Result<(TextQuery, String?), LineProblem> {
        switch format {
        case .jsonl: return parseJSON(raw)
        case .tsv, .lines, .auto:
            guard let line = String(validating: raw, as: UTF8.self) else { return .failure("not valid UTF-8") }
            guard format == .tsv else { return .success((TextQuery(line), String?.none)) }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            switch columns.count {
            case 1: return .success((TextQuery(columns[0]), String?.none))
            case 2 where labels.contains(columns[1]): return .success((TextQuery(columns[0]), columns[1]))
            case 2: return .success((TextQuery(columns[0], pair: columns[1]), String?.none))
            case 3: return checkedLabel(columns[2]).map { (TextQuery(columns[0], pair: columns[1]), $0) }
            default: return .failure("has \(columns.count) tab-separated columns; expected text[, text_b][, label]")
            }
        }
    }

    private func parseJSON(_ raw: [UInt8]) -> Result<(TextQuery, String?), LineProblem> {
        let document: JSONDocument
        do {
            document = try raw.withUnsafeBytes { (bytes) throws(JSONError) in try JSONDocument(parsing: bytes) }
        } catch {
            return .failure("is not valid JSON: \(error)")
        }
        let root = document.root
        guard root.isObject else { return .failure("is not a JSON object") }
        let query: TextQuery
        if let text = root["text"]?.string {
            query = TextQuery(text, pair: root["text_pair"]?.string ?? root["text_b"]?.string)
        } else if let first = root["text_a"]?.string {
            query = TextQuery(first, pair: root["text_b"]?.string)
        } else {
            return .failure("has no \"text\" (or \"text_a\") string")
        }
        guard let label = root["label"], !label.isNull else { return .success((query, String?.none)) }
        if let name = label.string { return checkedLabel(name).map { (query, $0) } }
        if let index = label.int, labelList.indices.contains(index) { return .success((query, labelList[index])) }
        return .failure("has a \"label\" that is neither a label name nor an index below \(labelList.count)")
    }

    private func checkedLabel(_ name: String) -> Result<String?, LineProblem> {
        labels.contains(name) ? .success(name)
            : .failure(LineProblem(stringLiteral: "has label \"\(name)\", which is not one of the task's (\(labelList.joined(separator: ", ")))"))
    }
}

/// The records of `revmux run` and `revmux embed`: the --text values, or FILE ('-' for
/// standard input) in its format (from the extension when `auto`).
func openRecords(texts: [String], input: String?, format: InputFormat, labels: [String]) throws
    -> AnySequence<Result<InputRecord, InputProblem>> {
    guard let input else {
        return AnySequence(texts.enumerated().map { .success(InputRecord(line: $0 + 1, query: TextQuery($1), label: nil)) })
    }
    let handle: FileHandle
    if input == "-" {
        handle = .standardInput
    } else if let file = FileHandle(forReadingAtPath: input) {
        handle = file
    } else {
        printError("\(input): cannot open for reading")
        throw ExitCode(Sysexits.ioError)
    }
    let format = format == .auto ? QueryInput.format(for: input == "-" ? nil : input) : format
    return AnySequence(QueryInput(handle, format: format, labels: labels))
}
