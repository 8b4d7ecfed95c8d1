/// Why training could not start or go on; each message names what to fix.
public enum TrainError: Error, CustomStringConvertible, Sendable {
    case missingTensor(String)
    case shape(String, [Int], expected: [Int])
    case conversion(String, String)
    case data(String)
    case io(String)

    public var description: String {
        switch self {
        case .missingTensor(let name): "the bundle has no tensor \"\(name)\""
        case .shape(let name, let shape, let expected): "tensor \(name) has shape \(shape), expected \(expected)"
        case .conversion(let name, let error): "tensor \(name): \(error)"
        case .data(let message): message
        case .io(let message): message
        }
    }
}
