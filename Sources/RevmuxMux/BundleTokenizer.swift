import RevmuxBundle
import RevmuxFormats
import RevmuxTensors
import RevmuxTokenizers

extension Tokenizer {
    /// The tokenizer a bundle carries: its original tokenizer.json, or the GGUF vocabulary
    /// tokenized as llama.cpp does.
    public init(bundle: BundleFile) throws(BundleTokenizerError) {
        let stored: [UInt8]
        do {
            guard let bytes = try bundle.tokenizerBytes() else { throw BundleTokenizerError.missing }
            stored = bytes
        } catch let error as BundleTokenizerError {
            throw error
        } catch {
            throw .unreadable("\(error)")
        }
        do {
            switch bundle.manifest.tokenizer!.kind {
            case .tokenizerJSON:
                self = try stored.withBytes { (raw) throws(TokenizerSourceError) in try Tokenizer(tokenizerJSONBytes: raw) }
            case .gguf:
                self = try stored.withUnsafeBytes { (raw) throws in try Tokenizer(gguf: GGUFLayout(parsing: raw)) }
            }
        } catch {
            throw .unreadable("\(error)")
        }
    }
}

public enum BundleTokenizerError: Error, CustomStringConvertible, Sendable {
    case missing
    case unreadable(String)

    public var description: String {
        switch self {
        case .missing: "the bundle holds no tokenizer"
        case .unreadable(let problem): "its tokenizer: \(problem)"
        }
    }
}
