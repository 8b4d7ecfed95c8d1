import Foundation
import RevmuxFormats
import RevmuxJSON
import RevmuxTokenizers

/// `revmux convert --template chat`: the source model's own chat template, rendered once for
/// a single user message whose content is `{text}`, becomes the task's plain prompt template.
public enum ChatPrompt {
    /// The prompt template for a model folder (tokenizer_config.json) or a GGUF file
    /// (`tokenizer.chat_template`).
    public static func template(forSource path: String) throws(ChatPromptError) -> String {
        let (source, bos, eos) = try chatTemplate(path)
        do {
            return try ChatTemplate(source).render(userMessage: "{text}", bosToken: bos, eosToken: eos)
        } catch {
            throw .template(path, error)
        }
    }

    private static func chatTemplate(_ path: String) throws(ChatPromptError) -> (String, bos: String, eos: String) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw .missing(path) }
        if !isFolder.boolValue {
            let layout: GGUFLayout
            do {
                layout = try GGUFFile(path: path).layout
            } catch {
                throw .unreadable(path, "\(error)")
            }
            guard let template = layout.value("tokenizer.chat_template")?.stringValue else { throw .missing(path) }
            func token(_ key: String) -> String {
                guard let id = layout.value(key)?.intValue, let tokens = layout.value("tokenizer.ggml.tokens")?.arrayValue,
                      id >= 0, id < tokens.count else { return "" }
                return tokens[id].stringValue ?? ""
            }
            return (template, token("tokenizer.ggml.bos_token_id"), token("tokenizer.ggml.eos_token_id"))
        }
        let configPath = (path as NSString).appendingPathComponent("tokenizer_config.json")
        let document: JSONDocument
        do {
            document = try readJSONFile(configPath)
        } catch {
            throw .unreadable(configPath, "\(error)")
        }
        let root = document.root
        // A list of named templates keeps the one named "default".
        let template = root["chat_template"]?.string
            ?? root["chat_template"]?.array?.first { $0["name"]?.string == "default" }?["template"]?.string
        guard let template else { throw .missing(path) }
        // Special tokens are strings, or objects with a "content".
        func token(_ key: String) -> String { root[key]?.string ?? root[key]?["content"]?.string ?? "" }
        return (template, token("bos_token"), token("eos_token"))
    }
}

public enum ChatPromptError: Error, CustomStringConvertible, Sendable {
    case missing(String)
    case unreadable(String, String)
    case template(String, ChatTemplateError)

    public var description: String {
        switch self {
        case .missing(let path): "\(path): the model has no chat template; give the prompt with --template \"... {text} ...\""
        case .unreadable(let path, let problem): "\(path): \(problem)"
        case .template(let path, let error): "\(path): \(error)"
        }
    }
}
