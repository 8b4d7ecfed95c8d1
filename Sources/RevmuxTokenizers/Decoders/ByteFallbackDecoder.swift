import RevmuxJSON

/// Turns runs of byte tokens (<0x41>) back into text: a run that is valid UTF-8 becomes
/// its text, any other run one U+FFFD per byte. Other tokens pass through.
public struct ByteFallbackDecoder: TokenDecoder {
    public init() {}

    init(json: JSONValue) throws(TokenizerError) {}

    public func decode(_ tokens: [String]) -> [String] {
        var output: [String] = []
        var run: [UInt8] = []
        func flush() {
            guard !run.isEmpty else { return }
            if let text = String(validating: run, as: UTF8.self) {
                output.append(text)
            } else {
                output += Array(repeating: "\u{FFFD}", count: run.count)
            }
            run.removeAll()
        }
        for token in tokens {
            if let byte = Self.byte(of: token) {
                run.append(byte)
            } else {
                flush()
                output.append(token)
            }
        }
        flush()
        return output
    }

    /// The byte of "<0xHH>", parsed as Rust's `u8::from_str_radix` does: "HH" may also be
    /// "+H", and hex digits may be lower case.
    private static func byte(of token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, utf8[0..<3].elementsEqual("<0x".utf8), utf8[5] == UInt8(ascii: ">") else { return nil }
        func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        guard let low = digit(utf8[4]) else { return nil }
        if utf8[3] == UInt8(ascii: "+") { return low }
        return digit(utf8[3]).map { $0 << 4 | low }
    }
}
