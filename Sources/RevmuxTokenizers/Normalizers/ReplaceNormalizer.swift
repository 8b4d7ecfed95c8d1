import RevmuxJSON

/// The Replace normalizer: every occurrence of a pattern becomes `content`.
public struct ReplaceNormalizer: Normalizer {
    public var replacement: Replacement

    public init(_ replacement: Replacement) {
        self.replacement = replacement
    }

    init(json: JSONValue) throws(TokenizerError) {
        self.init(try Replacement(json: json, component: "Replace normalizer"))
    }

    public func normalize(_ text: String) -> String {
        replacement.apply(to: text)
    }
}

/// A literal pattern and its replacement, shared by the Replace normalizer and decoder.
/// Matches are found left to right and never overlap, as a regex search for the escaped
/// literal finds them.
public struct Replacement: Sendable {
    public var pattern: String
    public var content: String

    public init(pattern: String, content: String) {
        self.pattern = pattern
        self.content = content
    }

    init(json: JSONValue, component: String) throws(TokenizerError) {
        guard let content = json["content"]?.string else {
            throw .invalid(component: component, reason: "needs a string content")
        }
        if let literal = json["pattern"]?["String"]?.string {
            self.init(pattern: literal, content: content)
        } else if json["pattern"]?["Regex"]?.string != nil {
            throw .unsupported(component: component, type: "Replace with a Regex pattern")
        } else {
            throw .invalid(component: component, reason: "pattern must be {\"String\": ...} or {\"Regex\": ...}")
        }
    }

    public func apply(to text: String) -> String {
        guard !text.isEmpty else { return text }
        guard !pattern.isEmpty else {
            // An empty regex matches between every two scalars and at both ends.
            var result = content
            for scalar in text.unicodeScalars {
                result.unicodeScalars.append(scalar)
                result += content
            }
            return result
        }
        let source = Array(text.utf8)
        let needle = Array(pattern.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.count)
        var position = 0
        // A match of valid UTF-8 in valid UTF-8 always starts on a scalar boundary.
        while position < source.count {
            if source[position] == needle[0], position + needle.count <= source.count,
                source[position..<(position + needle.count)].elementsEqual(needle)
            {
                bytes += content.utf8
                position += needle.count
            } else {
                bytes.append(source[position])
                position += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
