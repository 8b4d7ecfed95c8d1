import RevmuxJSON

/// What can be wrong with a `.revmux` bundle.
public enum BundleProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(size: Int)
    case badMagic
    case headerChecksum
    case newerMajorVersion(major: UInt16, minor: UInt16)
    case unsupportedVersion(major: UInt16, minor: UInt16)
    case unknownFlags(UInt32)
    case badHeaderField(String, UInt64)
    case sizeMismatch(expected: UInt64, actual: Int)
    case manifestChecksum
    case manifestInflate(String)
    case manifestNotJSON(JSONError)
    case manifest(String)
    case tensor(name: String, reason: String)
    case overlap(String, String)
    case tensorChecksum(name: String)
    case blobChecksum(String)

    public var description: String {
        switch self {
        case .tooShort(let size): "file of \(size) bytes is too short for a bundle header (64 bytes)"
        case .badMagic: "not a revmux bundle (magic is not RVMXBNDL)"
        case .headerChecksum: "header checksum mismatch: the header is corrupt"
        case .newerMajorVersion(let major, let minor):
            "bundle format \(major).\(minor) is newer than this revmux understands (\(BundleHeader.majorVersion).x); upgrade revmux"
        case .unsupportedVersion(let major, let minor): "bundle format \(major).\(minor) is not supported"
        case .unknownFlags(let flags): "unknown header flags 0x\(String(flags, radix: 16))"
        case .badHeaderField(let field, let value): "header field \(field) = \(value) is out of range"
        case .sizeMismatch(let expected, let actual):
            "header describes \(expected) bytes but the file has \(actual) (truncated or has trailing bytes)"
        case .manifestChecksum: "manifest checksum mismatch: the manifest is corrupt"
        case .manifestInflate(let reason): "manifest does not decompress: \(reason)"
        case .manifestNotJSON(let error): "manifest is not valid JSON: \(error)"
        case .manifest(let reason): "manifest: \(reason)"
        case .tensor(let name, let reason): "tensor \"\(name)\": \(reason)"
        case .overlap(let first, let second): "\"\(first)\" and \"\(second)\" overlap in the data section"
        case .tensorChecksum(let name): "tensor \"\(name)\" fails its CRC-32 check: its data is corrupt"
        case .blobChecksum(let name): "\(name) fails its CRC-32 check: its data is corrupt"
        }
    }
}

/// Why `BundleFile.selecting(task:)` could not choose a task.
public enum TaskChoiceError: Error, Equatable, CustomStringConvertible {
    case noTasks
    case ambiguous([String])
    case unknown(String, [String])

    public var description: String {
        switch self {
        case .noTasks:
            "the bundle has no task: add one with revmux convert MODEL --mux N --prefill-layers K --labels ... --adapters FILE"
        case .ambiguous(let names):
            "the bundle has \(names.count) tasks (\(names.joined(separator: ", "))): choose one with --task"
        case .unknown(let name, let names):
            names.isEmpty ? "the bundle has no task \"\(name)\" (it has none)"
                : "the bundle has no task \"\(name)\" (it has: \(names.joined(separator: ", ")))"
        }
    }
}
