import Foundation
import RevmuxFormats
import RevmuxTensors

extension Plan {
    /// True when the file at `path` starts with the bundle magic.
    static func isBundle(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: BundleHeader.magic.count)).map { Array($0) == BundleHeader.magic } ?? false
    }

    /// An existing bundle as the source: its tensors (tasks' included), tokenizer, tasks and
    /// provenance carried over unchanged, so that a conversion can add one more task.
    init(bundlePath path: String) throws(ConvertError) {
        let bundle: BundleFile
        do {
            bundle = try BundleFile(path: path)
        } catch {
            throw .bundle(error)
        }
        let bytes: [UInt8]?
        do {
            bytes = try bundle.tokenizerBytes()
        } catch {
            throw .bundle(.format(FormatError(path: path, problem: error)))
        }
        guard let record = bundle.manifest.tokenizer, let bytes else { throw .missingTokenizer(path) }
        tokenizerKind = record.kind
        family = bundle.manifest.family
        config = bundle.manifest.config
        tensors = bundle.manifest.tensors.map { Item(name: $0.name, view: bundle.tensor(named: $0.name)!) }
        tokenizer = bytes
        sources = []
        recordedSources = bundle.manifest.provenance.sources
        tasks = bundle.manifest.tasks
    }
}
