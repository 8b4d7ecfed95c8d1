/// Reads a JSON number literal into the f64 that Rust's serde_json (default features, as
/// `tokenizers` builds it) makes of it. serde_json does not round correctly: it reads at most
/// 19 significant digits into a u64, converts that to f64, then multiplies or divides by a
/// power of ten, rounding twice. About one in five 17-digit Unigram scores comes out one ulp
/// away from a correctly rounded parse, and a Viterbi tie can turn on that ulp.
enum SerdeJSONFloat {
    /// nil where serde_json refuses the literal (out of f64 range) or the text is not a JSON number.
    static func parse(_ text: String) -> Double? {
        var bytes = Array(text.utf8)[...]
        let positive = bytes.first != UInt8(ascii: "-")
        if !positive { bytes = bytes.dropFirst() }
        guard let first = bytes.first, isDigit(first) else { return nil }

        var significand: UInt64 = 0
        var exponent: Int32 = 0
        // Digits past what a u64 holds are dropped; in the integer part each one still
        // scales the value by ten.
        var overflowed = false
        if first == UInt8(ascii: "0") {
            bytes = bytes.dropFirst()
        } else {
            while let byte = bytes.first, isDigit(byte) {
                bytes = bytes.dropFirst()
                if overflowed || wouldOverflow(significand, byte) {
                    overflowed = true
                    exponent += 1
                } else {
                    significand = significand * 10 + UInt64(byte - UInt8(ascii: "0"))
                }
            }
        }
        var isFloat = overflowed
        if bytes.first == UInt8(ascii: ".") {
            isFloat = true
            bytes = bytes.dropFirst()
            var fractionOverflowed = false
            while let byte = bytes.first, isDigit(byte) {
                bytes = bytes.dropFirst()
                if fractionOverflowed || wouldOverflow(significand, byte) {
                    fractionOverflowed = true
                } else {
                    significand = significand * 10 + UInt64(byte - UInt8(ascii: "0"))
                    exponent -= 1
                }
            }
        }
        if let marker = bytes.first, marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            isFloat = true
            bytes = bytes.dropFirst()
            var positiveExponent = true
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                positiveExponent = sign == UInt8(ascii: "+")
                bytes = bytes.dropFirst()
            }
            var written: Int32 = 0
            while let byte = bytes.first, isDigit(byte) {
                bytes = bytes.dropFirst()
                let digit = Int32(byte - UInt8(ascii: "0"))
                if written >= Int32.max / 10 && (written > Int32.max / 10 || digit > Int32.max % 10) {
                    // An exponent past i32: serde_json gives zero, or an error for huge values.
                    if significand != 0 && positiveExponent { return nil }
                    return positive ? 0.0 : -0.0
                }
                written = written * 10 + digit
            }
            let (sum, sumOverflow) = positiveExponent
                ? exponent.addingReportingOverflow(written) : exponent.subtractingReportingOverflow(written)
            exponent = sumOverflow ? (positiveExponent ? .max : .min) : sum
        }
        guard bytes.isEmpty else { return nil }

        guard isFloat else {
            // A plain integer: u64 or i64, converted to f64 with one rounding.
            let magnitude = Double(significand)
            return positive ? magnitude : -magnitude
        }
        return fromParts(positive: positive, significand: significand, exponent: exponent)
    }

    private static func fromParts(positive: Bool, significand: UInt64, exponent: Int32) -> Double? {
        var value = Double(significand)
        var exponent = exponent
        while true {
            let magnitude = exponent.magnitude
            if magnitude < UInt32(powersOfTen.count) {
                if exponent >= 0 {
                    value *= powersOfTen[Int(magnitude)]
                    if value.isInfinite { return nil }
                } else {
                    value /= powersOfTen[Int(magnitude)]
                }
                break
            }
            if value == 0 { break }
            if exponent >= 0 { return nil }
            value /= 1e308
            exponent += 308
        }
        return positive ? value : -value
    }

    /// 1e0 ... 1e308, each correctly rounded (as Rust's float literals are).
    private static let powersOfTen: [Double] = (0...308).map { Double("1e\($0)")! }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func wouldOverflow(_ significand: UInt64, _ byte: UInt8) -> Bool {
        let digit = UInt64(byte - UInt8(ascii: "0"))
        return significand >= UInt64.max / 10 && (significand > UInt64.max / 10 || digit > UInt64.max % 10)
    }
}
