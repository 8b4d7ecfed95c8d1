/// A block-quantised GGML type: `blockSize` elements share one block of `blockBytes`.
///
/// The raw values are GGML's type codes, so a GGUF file's code maps straight to a case.
/// Layouts: ggml-common.h in ggml, mirrored by `gguf.constants.GGML_QUANT_SIZES`.
public enum QuantType: UInt32, CaseIterable, Sendable {
    case q4_0 = 2
    case q4_1 = 3
    case q5_0 = 6
    case q5_1 = 7
    case q8_0 = 8
    case q8_1 = 9
    case q2_K = 10
    case q3_K = 11
    case q4_K = 12
    case q5_K = 13
    case q6_K = 14
    case q8_K = 15
    case iq2_XXS = 16
    case iq2_XS = 17
    case iq3_XXS = 18
    case iq1_S = 19
    case iq4_NL = 20
    case iq3_S = 21
    case iq2_S = 22
    case iq4_XS = 23
    case iq1_M = 29
    case tq1_0 = 34
    case tq2_0 = 35
    case mxfp4 = 39

    public var name: String {
        switch self {
        case .q4_0: "Q4_0"
        case .q4_1: "Q4_1"
        case .q5_0: "Q5_0"
        case .q5_1: "Q5_1"
        case .q8_0: "Q8_0"
        case .q8_1: "Q8_1"
        case .q2_K: "Q2_K"
        case .q3_K: "Q3_K"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        case .q8_K: "Q8_K"
        case .iq2_XXS: "IQ2_XXS"
        case .iq2_XS: "IQ2_XS"
        case .iq3_XXS: "IQ3_XXS"
        case .iq1_S: "IQ1_S"
        case .iq4_NL: "IQ4_NL"
        case .iq3_S: "IQ3_S"
        case .iq2_S: "IQ2_S"
        case .iq4_XS: "IQ4_XS"
        case .iq1_M: "IQ1_M"
        case .tq1_0: "TQ1_0"
        case .tq2_0: "TQ2_0"
        case .mxfp4: "MXFP4"
        }
    }

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .iq4_NL, .mxfp4: 32
        default: 256
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .q4_0: 18
        case .q4_1: 20
        case .q5_0: 22
        case .q5_1: 24
        case .q8_0: 34
        case .q8_1: 36
        case .q2_K: 84
        case .q3_K: 110
        case .q4_K: 144
        case .q5_K: 176
        case .q6_K: 210
        case .q8_K: 292
        case .iq2_XXS: 66
        case .iq2_XS: 74
        case .iq3_XXS: 98
        case .iq1_S: 50
        case .iq4_NL: 18
        case .iq3_S: 110
        case .iq2_S: 82
        case .iq4_XS: 136
        case .iq1_M: 56
        case .tq1_0: 54
        case .tq2_0: 66
        case .mxfp4: 17
        }
    }
}
