import RevmuxTensors

/// A memory-mapped, validated GGUF file. Opening reads the header only.
public struct GGUFFile: Sendable {
    public let file: MappedFile
    public let layout: GGUFLayout
    private let index: [String: Int]

    public init(path: String) throws(OpenError<GGUFProblem>) {
        (file, layout) = try openMapped(path) { (bytes) throws(GGUFProblem) in
            try GGUFLayout(parsing: bytes)
        }
        index = Dictionary(uniqueKeysWithValues: layout.tensors.enumerated().map { ($1.name, $0) })
    }

    /// Validates a file that is already mapped.
    public init(file: MappedFile) throws(FormatError<GGUFProblem>) {
        self.file = file
        do {
            layout = try GGUFLayout(parsing: file.bytes)
        } catch {
            throw FormatError(path: file.path, problem: error)
        }
        index = Dictionary(uniqueKeysWithValues: layout.tensors.enumerated().map { ($1.name, $0) })
    }

    public var path: String { file.path }
    public var tensors: [TensorEntry] { layout.tensors }

    public func tensor(named name: String) -> TensorView? {
        index[name].map { file.tensor(layout.tensors[$0]) }
    }
}
