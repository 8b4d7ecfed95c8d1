import RevmuxTensors

/// A layout of tensors that a parser validates from a file's bytes.
public protocol TensorLayout: Sendable {
    associatedtype Problem: Error & CustomStringConvertible & Sendable
    init(parsing bytes: UnsafeRawBufferPointer) throws(Problem)
    var tensors: [TensorEntry] { get }
}

extension SafetensorsLayout: TensorLayout {}
extension GGUFLayout: TensorLayout {}

/// A memory-mapped file whose header has been validated; opening reads the header only.
public struct ValidatedFile<Layout: TensorLayout>: Sendable {
    public let file: MappedFile
    public let layout: Layout
    private let index: [String: Int]

    public init(path: String) throws(OpenError<Layout.Problem>) {
        (file, layout) = try openMapped(path) { (bytes) throws(Layout.Problem) in try Layout(parsing: bytes) }
        index = Self.index(layout)
    }

    /// Validates a file that is already mapped.
    public init(file: MappedFile) throws(FormatError<Layout.Problem>) {
        self.file = file
        do {
            layout = try Layout(parsing: file.bytes)
        } catch {
            throw FormatError(path: file.path, problem: error)
        }
        index = Self.index(layout)
    }

    private static func index(_ layout: Layout) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: layout.tensors.enumerated().map { ($1.name, $0) })
    }

    public var path: String { file.path }
    public var tensors: [TensorEntry] { layout.tensors }

    public func tensor(named name: String) -> TensorView? {
        index[name].map { file.tensor(layout.tensors[$0]) }
    }
}

/// A validated safetensors file.
public typealias SafetensorsFile = ValidatedFile<SafetensorsLayout>
/// A validated GGUF file.
public typealias GGUFFile = ValidatedFile<GGUFLayout>
