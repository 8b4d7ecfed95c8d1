import RevmuxFormats
import RevmuxTensors

/// Why a conversion could not be done. The CLI maps `isIOFailure` to exit 74, the rest to 65.
public enum ConvertError: Error, CustomStringConvertible, Sendable {
    case source(ModelOpenError)
    case bundle(OpenError<BundleProblem>)
    case unsupportedArchitecture(String)
    case unknownTensor(String)
    case missingConfig(String)
    /// The model declares something revmux cannot run; the message says what and why.
    case unsupportedSetting(String)
    case missingTokenizer(String)
    case unsupportedConversion(tensor: String, from: TensorType, to: String)
    case task(String)
    case adapterFile(OpenError<SafetensorsProblem>)
    case write(BundleWriteError)
    case io(FileError)

    public var description: String {
        switch self {
        case .source(let error): error.description
        case .bundle(let error): error.description
        case .unsupportedArchitecture(let name): "architecture \"\(name)\" is not supported (bert, t5 and llama are)"
        case .unknownTensor(let name): "tensor \"\(name)\" is not part of any layout revmux knows; refusing to drop it silently"
        case .missingConfig(let key): "the model does not declare \(key)"
        case .unsupportedSetting(let message): message
        case .missingTokenizer(let path): "\(path): no tokenizer.json (revmux needs the fast-tokenizer file)"
        case .unsupportedConversion(let tensor, let from, let to): "tensor \"\(tensor)\": cannot convert \(from) to \(to)"
        case .task(let reason): "task: \(reason)"
        case .adapterFile(let error): error.description
        case .write(let error): error.description
        case .io(let error): error.description
        }
    }

    public var isIOFailure: Bool {
        switch self {
        case .io, .write(.io), .adapterFile(.io), .bundle(.io): true
        case .source(let error): error.isIOFailure
        default: false
        }
    }
}
