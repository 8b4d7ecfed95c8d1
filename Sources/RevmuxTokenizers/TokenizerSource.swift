import RevmuxFormats
import RevmuxJSON

extension Tokenizer {
    /// Reads a tokenizer.json from bytes (as a file or a bundle holds it).
    public init(tokenizerJSONBytes bytes: UnsafeRawBufferPointer) throws(TokenizerSourceError) {
        let document: JSONDocument
        do {
            document = try JSONDocument(parsing: bytes)
        } catch {
            throw .json(error)
        }
        do {
            try self.init(tokenizerJSON: document.root)
        } catch {
            throw .tokenizer(error)
        }
    }
}

/// Why a tokenizer could not be read from a file.
public enum TokenizerSourceError: Error, CustomStringConvertible, Sendable {
    case json(JSONError)
    case tokenizer(TokenizerError)

    public var description: String {
        switch self {
        case .json(let error): "tokenizer.json is not valid JSON: \(error)"
        case .tokenizer(let error): error.description
        }
    }
}
