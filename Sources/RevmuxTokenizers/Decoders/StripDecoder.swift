import RevmuxJSON

/// Removes up to `start` leading and `stop` trailing copies of a character from each token.
public struct StripDecoder: TokenDecoder {
    public var content: Unicode.Scalar
    public var start: Int
    public var stop: Int

    public init(content: Unicode.Scalar, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }

    init(json: JSONValue) throws(TokenizerError) {
        guard let content = json["content"]?.string, content.unicodeScalars.count == 1,
            let start = json["start"]?.nonNegativeInt, let stop = json["stop"]?.nonNegativeInt
        else {
            throw .invalid(component: "Strip decoder", reason: "needs a one-character content and non-negative start and stop")
        }
        self.init(content: content.unicodeScalars.first!, start: start, stop: stop)
    }

    public func decode(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var head = 0
            while head < min(start, scalars.count), scalars[head] == content { head += 1 }
            var tail = scalars.count
            while scalars.count - tail < stop, tail > 0, scalars[tail - 1] == content { tail -= 1 }
            var result = String.UnicodeScalarView()
            if head < tail { result.append(contentsOf: scalars[head..<tail]) }
            return String(result)
        }
    }
}
