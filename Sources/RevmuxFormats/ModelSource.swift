import RevmuxTensors

/// Any model input revmux reads, recognised by what the path is and holds.
public enum ModelSource: Sendable {
    case safetensors(SafetensorsFile)
    case shardedSafetensors(ShardedSafetensors)
    case huggingFaceFolder(HFModelFolder)
    case gguf(GGUFFile)

    /// A folder is a Hugging Face model; a `.json` file a sharded index; otherwise the
    /// file's magic decides between GGUF and safetensors (which has no magic).
    public static func open(_ path: String) throws(ModelOpenError) -> ModelSource {
        if isDirectory(path) {
            return .huggingFaceFolder(try HFModelFolder(path: path))
        }
        if path.hasSuffix(".json") {
            do {
                return .shardedSafetensors(try ShardedSafetensors(indexPath: path))
            } catch {
                throw .sharded(error)
            }
        }
        let file: MappedFile
        do {
            file = try MappedFile(path: path)
        } catch {
            throw .io(error)
        }
        if file.count >= 4, file.bytes.prefix(4).elementsEqual("GGUF".utf8) {
            do {
                return .gguf(try GGUFFile(file: file))
            } catch {
                throw .gguf(error)
            }
        }
        do {
            return .safetensors(try SafetensorsFile(file: file))
        } catch {
            throw .safetensors(error)
        }
    }
}
