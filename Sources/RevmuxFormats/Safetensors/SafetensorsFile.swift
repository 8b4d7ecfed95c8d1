import RevmuxTensors

/// A memory-mapped, validated safetensors file. Opening reads the header only.
public struct SafetensorsFile: Sendable {
    public let file: MappedFile
    public let layout: SafetensorsLayout
    private let index: [String: Int]

    public init(path: String) throws(OpenError<SafetensorsProblem>) {
        (file, layout) = try openMapped(path) { (bytes) throws(SafetensorsProblem) in
            try SafetensorsLayout(parsing: bytes)
        }
        index = Dictionary(uniqueKeysWithValues: layout.tensors.enumerated().map { ($1.name, $0) })
    }

    /// Validates a file that is already mapped.
    public init(file: MappedFile) throws(FormatError<SafetensorsProblem>) {
        self.file = file
        do {
            layout = try SafetensorsLayout(parsing: file.bytes)
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
