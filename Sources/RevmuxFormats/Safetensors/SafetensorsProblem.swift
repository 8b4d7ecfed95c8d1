import RevmuxJSON

/// What can be wrong with a safetensors file. Messages say where and why.
public enum SafetensorsProblem: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(size: Int)
    case headerTooLarge(length: UInt64, limit: Int)
    case headerPastEnd(length: UInt64, fileSize: Int)
    case headerNotJSON(JSONError)
    case duplicateTensor(name: String)
    case headerNotObject(found: String)
    case metadataNotStrings(key: String)
    case tensorNotObject(name: String)
    case missingField(tensor: String, field: String)
    case badField(tensor: String, field: String, expected: String)
    case unknownDType(tensor: String, dtype: String)
    case sizeOverflow(tensor: String)
    case sizeMismatch(tensor: String, expectedBytes: Int, actualBytes: Int)
    case offsetsNotContiguous(tensor: String, start: Int, expected: Int)
    case dataSizeMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .tooShort(let size):
            "file of \(size) bytes is too short for a safetensors header (needs at least 8)"
        case .headerTooLarge(let length, let limit):
            "header length \(length) exceeds the \(limit)-byte limit"
        case .headerPastEnd(let length, let fileSize):
            "header length \(length) runs past the end of the \(fileSize)-byte file (truncated?)"
        case .headerNotJSON(let error):
            "header is not valid JSON: \(error)"
        case .duplicateTensor(let name):
            "tensor \"\(name)\" is declared twice in the header"
        case .headerNotObject(let found):
            "header must be a JSON object, found \(found)"
        case .metadataNotStrings(let key):
            "__metadata__ must map strings to strings; \"\(key)\" does not"
        case .tensorNotObject(let name):
            "entry \"\(name)\" must be an object with dtype, shape and data_offsets"
        case .missingField(let tensor, let field):
            "tensor \"\(tensor)\" has no \(field)"
        case .badField(let tensor, let field, let expected):
            "tensor \"\(tensor)\": \(field) must be \(expected)"
        case .unknownDType(let tensor, let dtype):
            "tensor \"\(tensor)\" has unknown dtype \"\(dtype)\""
        case .sizeOverflow(let tensor):
            "tensor \"\(tensor)\": the size of its shape overflows"
        case .sizeMismatch(let tensor, let expected, let actual):
            "tensor \"\(tensor)\" needs \(expected) bytes for its dtype and shape but data_offsets span \(actual)"
        case .offsetsNotContiguous(let tensor, let start, let expected):
            "tensor \"\(tensor)\" starts at data byte \(start), expected \(expected) (tensors must be contiguous, with no gap or overlap)"
        case .dataSizeMismatch(let expected, let actual):
            expected > actual
                ? "data section is \(actual) bytes but the tensors need \(expected) (truncated?)"
                : "data section is \(actual) bytes but the tensors cover only \(expected) (trailing bytes)"
        }
    }
}
