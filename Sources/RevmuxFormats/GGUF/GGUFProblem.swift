import RevmuxTensors

/// What can be wrong with a GGUF file. Offsets are byte positions in the file.
public enum GGUFProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case badMagic(found: [UInt8])
    case unsupportedVersion(UInt32)
    case truncated(offset: Int, needed: Int, available: Int)
    case impossibleCount(what: String, count: UInt64, offset: Int)
    case invalidUTF8(what: String, offset: Int)
    case duplicateKey(String)
    case unknownValueType(key: String, code: UInt32)
    case invalidBool(key: String, byte: UInt8)
    case nestingTooDeep(key: String, limit: Int)
    case badAlignment(String)
    case duplicateTensor(String)
    case tooManyDimensions(tensor: String, count: UInt32, limit: Int)
    case badDimension(tensor: String, index: Int, value: UInt64)
    case sizeOverflow(tensor: String)
    case unknownTensorType(tensor: String, code: UInt32)
    case notWholeBlocks(tensor: String, type: TensorType, innermost: Int)
    case misalignedTensor(tensor: String, offset: UInt64, alignment: Int)
    case tensorPastEnd(tensor: String, end: UInt64, fileSize: Int)
    case overlappingTensors(String, String)

    public var description: String {
        switch self {
        case .badMagic(let found):
            "not a GGUF file: magic is \(found.map(hexByte).joined(separator: " ")), expected 47 47 55 46 (\"GGUF\")"
        case .unsupportedVersion(let version):
            switch version {
            case 1: "GGUF version 1 is not supported (only 2 and 3); re-convert the model with a current llama.cpp"
            case 0x0200_0000, 0x0300_0000: "big-endian GGUF files are not supported"
            default: "unsupported GGUF version \(version) (only 2 and 3)"
            }
        case .truncated(let offset, let needed, let available):
            "truncated at byte \(offset): \(needed) more bytes needed, \(available) left"
        case .impossibleCount(let what, let count, let offset):
            "\(what) \(count) at byte \(offset) cannot fit in what remains of the file"
        case .invalidUTF8(let what, let offset):
            "\(what) at byte \(offset) is not valid UTF-8"
        case .duplicateKey(let key):
            "metadata key \"\(key)\" appears twice"
        case .unknownValueType(let key, let code):
            "metadata \"\(key)\" has unknown value type \(code)"
        case .invalidBool(let key, let byte):
            "metadata \"\(key)\" holds bool byte \(byte), expected 0 or 1"
        case .nestingTooDeep(let key, let limit):
            "metadata \"\(key)\" nests arrays deeper than \(limit) levels"
        case .badAlignment(let reason):
            "general.alignment \(reason)"
        case .duplicateTensor(let name):
            "tensor \"\(name)\" appears twice"
        case .tooManyDimensions(let tensor, let count, let limit):
            "tensor \"\(tensor)\" has \(count) dimensions, at most \(limit) allowed"
        case .badDimension(let tensor, let index, let value):
            "tensor \"\(tensor)\" dimension \(index) is \(value), which is negative as int64"
        case .sizeOverflow(let tensor):
            "tensor \"\(tensor)\": its element count or byte size overflows"
        case .unknownTensorType(let tensor, let code):
            "tensor \"\(tensor)\" has unknown or removed GGML type \(code)"
        case .notWholeBlocks(let tensor, let type, let innermost):
            "tensor \"\(tensor)\": innermost dimension \(innermost) is not a multiple of \(type)'s block size \(type.blockSize)"
        case .misalignedTensor(let tensor, let offset, let alignment):
            "tensor \"\(tensor)\" data offset \(offset) is not a multiple of the alignment \(alignment)"
        case .tensorPastEnd(let tensor, let end, let fileSize):
            "tensor \"\(tensor)\" ends at byte \(end), past the end of the \(fileSize)-byte file (truncated?)"
        case .overlappingTensors(let first, let second):
            "tensors \"\(first)\" and \"\(second)\" overlap"
        }
    }
}

private func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
}
