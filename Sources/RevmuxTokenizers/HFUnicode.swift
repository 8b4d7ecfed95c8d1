import Foundation

/// Unicode as Hugging Face `tokenizers` 0.23 sees it.
///
/// Its character classes come from Rust crates whose tables have different ages, and ids
/// depend on those ages: to `unicode_categories` (Unicode 8.0) a mark added in Unicode 9 is
/// no mark, to `unicode-normalization-alignments` (Unicode 9.0) a scalar added later has no
/// decomposition. Swift knows each scalar's current properties and the version that
/// assigned it, so each class here is Swift's class restricted to the scalars known to that
/// crate's Unicode version, plus the few scalars whose category has changed since.
/// Tests/Fixtures/tokenizers/make_bert_fixtures.py checks every code point against
/// `tokenizers` itself.
enum HFUnicode {
    /// `unicode_categories`' `is_other` (Cc, Cf, Co as of Unicode 8.0; its Cn table is
    /// empty), which BERT's text cleaning removes.
    static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value < 0x20 || scalar.value == 0x7F }
        switch scalar.properties.generalCategory {
        case .control, .format, .privateUse: return knownTo(major: 8, scalar)
        default: return false
        }
    }

    /// ASCII punctuation (symbols such as `$+<=>^|~` included) or `unicode_categories`'
    /// `is_punctuation` (P* as of Unicode 8.0): what BertPreTokenizer and Punctuation split on.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (0x21...0x2F).contains(value) || (0x3A...0x40).contains(value)
                || (0x5B...0x60).contains(value) || (0x7B...0x7E).contains(value)
        }
        switch value {
        // Po in Unicode 8.0; So and Mn now.
        case 0x166D, 0x111C9: return true
        default: break
        }
        switch scalar.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
            .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return knownTo(major: 8, scalar)
        default:
            return false
        }
    }

    /// `unicode_categories`' `is_mark_nonspacing` (Mn as of Unicode 8.0), which BERT's
    /// accent stripping removes after NFD.
    static func isNonspacingMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x1734, 0x1171E: return true  // Mn in Unicode 8.0, Mc now
        case 0x1885, 0x1886, 0xA9BD, 0x111C9: return false  // Lo, Lo, Mc, Po in Unicode 8.0
        default:
            return scalar.value >= 0x300 && scalar.properties.generalCategory == .nonspacingMark && knownTo(major: 8, scalar)
        }
    }

    /// `unicode-normalization-alignments`' `is_combining_mark` (M* as of Unicode 9.0), which
    /// the StripAccents normalizer removes.
    static func isCombiningMark(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x300 { return false }
        switch scalar.value {
        case 0x1CF2, 0x1CF3: return true  // Mc in Unicode 9.0, Lo now
        case 0x111C9: return false  // Po in Unicode 9.0
        default:
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: return knownTo(major: 9, scalar)
            default: return false
            }
        }
    }

    /// Rust's `char::is_whitespace` (the White_Space property).
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x80 ? scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) : scalar.properties.isWhitespace
    }

    /// Rust's `char::is_numeric` (Nd, Nl, No).
    static func isNumeric(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return (0x30...0x39).contains(scalar.value) }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    /// The `regex` crate's `\w` (Unicode 16.0): Alphabetic, marks, Nd, Pc and Join_Control.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x80 {
            return (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) || value == 0x5F
        }
        let properties = scalar.properties
        let word: Bool
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: word = true
        default: word = properties.isAlphabetic || properties.isJoinControl
        }
        return word && knownTo(major: 16, scalar)
    }

    /// BERT's "Chinese character": the CJK Unified and Compatibility Ideographs blocks.
    static func isChineseCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            true
        default:
            false
        }
    }

    /// Appends Rust's `char::to_lowercase` of `scalar` (one to three scalars, no context).
    static func appendLowercase(_ scalar: Unicode.Scalar, to output: inout String.UnicodeScalarView) {
        if scalar.value < 0x80 {
            output.append((0x41...0x5A).contains(scalar.value) ? Unicode.Scalar(scalar.value + 0x20)! : scalar)
        } else {
            output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
    }

    /// `text` in a Unicode normalization form, with Unicode 9.0's tables: a scalar assigned
    /// later has no decomposition, combining class 0 and composes with nothing, so it stays
    /// as it is and normalization runs separately on each side of it.
    static func normalize(_ text: String, _ form: UnicodeNormalizer.Form) -> String {
        // ASCII is its own normal form in all four.
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return text }
        let scalars = text.unicodeScalars
        var result = ""
        var segmentStart = scalars.startIndex
        var index = scalars.startIndex
        while index < scalars.endIndex {
            let scalar = scalars[index]
            let next = scalars.index(after: index)
            if scalar.value >= 0x80, let age = scalar.properties.age, age.major > 9 {
                result += foundationNormalize(String(scalars[segmentStart..<index]), form)
                result.unicodeScalars.append(scalar)
                segmentStart = next
            }
            index = next
        }
        result += foundationNormalize(String(scalars[segmentStart...]), form)
        return result
    }

    private static func foundationNormalize(_ text: String, _ form: UnicodeNormalizer.Form) -> String {
        if text.isEmpty { return text }
        switch form {
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        }
    }

    /// Whether `scalar` was assigned by Unicode `major`.0 (no such version has a minor release).
    private static func knownTo(major: Int, _ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return age.major <= major
    }
}
