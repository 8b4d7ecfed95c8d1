import RevmuxTensors

/// A file that cannot be used as what it claims to be: the file's path and the problem.
///
/// Each format names its own problems (`SafetensorsProblem`, `GGUFProblem`, ...);
/// this wrapper adds the path so every message a user sees says which file is wrong.
public struct FormatError<Problem: Error & CustomStringConvertible & Sendable>: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String { "\(path): \(problem)" }
}

/// Opening a file either fails in the operating system or in its contents.
public enum OpenError<Problem: Error & CustomStringConvertible & Sendable>: Error, CustomStringConvertible, Sendable {
    case io(FileError)
    case format(FormatError<Problem>)

    public var description: String {
        switch self {
        case .io(let error): error.description
        case .format(let error): error.description
        }
    }
}

/// Maps `path` and parses it, attaching the path to any problem.
public func openMapped<Layout, Problem>(
    _ path: String, parse: (UnsafeRawBufferPointer) throws(Problem) -> Layout
) throws(OpenError<Problem>) -> (MappedFile, Layout) {
    let file: MappedFile
    do {
        file = try MappedFile(path: path)
    } catch {
        throw .io(error)
    }
    do {
        return (file, try parse(file.bytes))
    } catch {
        throw .format(FormatError(path: path, problem: error))
    }
}
