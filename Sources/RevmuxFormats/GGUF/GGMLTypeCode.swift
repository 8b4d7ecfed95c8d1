import RevmuxTensors

/// GGML's tensor type codes as GGUF stores them (enum ggml_type in ggml.h).
/// Codes of removed types (4, 5, 31-33, 36-38) are unknown, as in current llama.cpp.
enum GGMLTypeCode {
    static func tensorType(_ code: UInt32) -> TensorType? {
        switch code {
        case 0: .scalar(.f32)
        case 1: .scalar(.f16)
        case 24: .scalar(.i8)
        case 25: .scalar(.i16)
        case 26: .scalar(.i32)
        case 27: .scalar(.i64)
        case 28: .scalar(.f64)
        case 30: .scalar(.bf16)
        default: QuantType(rawValue: code).map(TensorType.quantized)
        }
    }

    static func code(_ type: TensorType) -> UInt32? {
        switch type {
        case .quantized(let quant): quant.rawValue
        case .scalar(let dtype):
            switch dtype {
            case .f32: 0
            case .f16: 1
            case .i8: 24
            case .i16: 25
            case .i32: 26
            case .i64: 27
            case .f64: 28
            case .bf16: 30
            default: nil
            }
        }
    }
}
