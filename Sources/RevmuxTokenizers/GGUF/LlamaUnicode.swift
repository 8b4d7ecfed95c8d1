import Foundation

/// Unicode as llama.cpp's `unicode.cpp` sees it.
///
/// llama.cpp classifies code points with tables generated from Python's `unicodedata` at
/// Unicode 15.1: one general-category class per code point (`\p{L}`, `\p{N}`, ...), the
/// White_Space property, the first scalar of the lowercase mapping and of the canonical
/// decomposition. Swift knows each scalar's current properties and the version that
/// assigned it, so each answer here is Swift's restricted to scalars assigned by 15.1;
/// later ones are unassigned to llama.cpp.
enum LlamaUnicode {
    /// llama.cpp's `unicode_cpt_flags` categories, plus its whitespace flag.
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt16

        static let undefined = Flags(rawValue: 1 << 0)
        static let number = Flags(rawValue: 1 << 1)
        static let letter = Flags(rawValue: 1 << 2)
        static let separator = Flags(rawValue: 1 << 3)
        static let accentMark = Flags(rawValue: 1 << 4)
        static let punctuation = Flags(rawValue: 1 << 5)
        static let symbol = Flags(rawValue: 1 << 6)
        static let control = Flags(rawValue: 1 << 7)
        static let whitespace = Flags(rawValue: 1 << 8)
    }

    /// The flags of `scalar`.
    @inline(__always)
    static func flags(_ scalar: Unicode.Scalar) -> Flags {
        scalar.value < 0x10000 ? basicPlane[Int(scalar.value)] : computeFlags(scalar)
    }

    private static let basicPlane: [Flags] = (0..<0x10000).map { value in
        Unicode.Scalar(UInt32(value)).map(computeFlags) ?? .control  // surrogates are Cs
    }

    private static func computeFlags(_ scalar: Unicode.Scalar) -> Flags {
        let properties = scalar.properties
        var flags: Flags = properties.isWhitespace ? .whitespace : []
        guard isAssigned(scalar) else { return flags.union(.undefined) }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            flags.insert(.letter)
        case .nonspacingMark, .spacingMark, .enclosingMark:
            flags.insert(.accentMark)
        case .decimalNumber, .letterNumber, .otherNumber:
            flags.insert(.number)
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            flags.insert(.punctuation)
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            flags.insert(.symbol)
        case .spaceSeparator, .lineSeparator, .paragraphSeparator:
            flags.insert(.separator)
        case .control, .format, .surrogate, .privateUse:
            flags.insert(.control)
        case .unassigned:
            flags.insert(.undefined)
        @unknown default:
            flags.insert(.undefined)
        }
        return flags
    }

    /// Whether `scalar` was assigned after Unicode 15.1, so that Swift knows it and llama.cpp
    /// does not.
    static func isNewerThanTables(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.age != nil && !isAssigned(scalar)
    }

    /// Whether Unicode 15.1 had assigned `scalar`.
    private static func isAssigned(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major < 15 || (age.major == 15 && age.minor <= 1)
    }

    /// `unicode_tolower`: the first scalar of the lowercase mapping.
    static func lowercase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        if scalar.value < 0x80 {
            return (0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20)! : scalar
        }
        guard isAssigned(scalar) else { return scalar }
        return scalar.properties.lowercaseMapping.unicodeScalars.first ?? scalar
    }

    /// `unicode_cpts_normalize_nfd`: the first scalar of the canonical decomposition (the
    /// base letter, its marks dropped), which is all llama.cpp keeps of NFD.
    static func decompositionBase(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard scalar.value >= 0xC0, isAssigned(scalar) else { return scalar }
        return String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.first ?? scalar
    }

    /// The length of the UTF-8 sequence `lead` starts, as `unicode_len_utf8` reads it (a
    /// stray continuation byte counts as one).
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        switch lead >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }

    /// `text` with every `scalar` replaced by `replacement`, compared as UTF-8 (String's own
    /// `replacing` compares characters, and a space followed by a combining mark is one
    /// character that is no space). UTF-8 is self-synchronizing, so a scalar's bytes only
    /// match at a scalar.
    static func replacing(_ scalar: Unicode.Scalar, with replacement: Unicode.Scalar, in text: some StringProtocol) -> String {
        let pattern = Array(String(scalar).utf8)
        let substitute = Array(String(replacement).utf8)
        var text = String(text)
        return text.withUTF8 { bytes in
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + bytes.count / 2)
            var index = 0
            while index < bytes.count {
                if bytes[index] == pattern[0], index + pattern.count <= bytes.count,
                   pattern.indices.allSatisfy({ bytes[index + $0] == pattern[$0] })
                {
                    output += substitute
                    index += pattern.count
                } else {
                    output.append(bytes[index])
                    index += 1
                }
            }
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// The BERT "Chinese character" ranges as llama.cpp's WPM tokenizer spells them (with the
    /// 0x2B920 lower bound Hugging Face's Rust code has).
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default:
            false
        }
    }
}
