/// Truncation as Hugging Face `tokenizers` applies it, before special tokens are added.
public struct Truncation: Equatable, Sendable {
    public enum Strategy: String, Sendable {
        case longestFirst = "LongestFirst"
        case onlyFirst = "OnlyFirst"
        case onlySecond = "OnlySecond"
    }

    public var maxLength: Int
    public var strategy: Strategy
    /// Cut from the left (keep the end) instead of the right.
    public var fromLeft: Bool

    public init(maxLength: Int, strategy: Strategy = .longestFirst, fromLeft: Bool = false) {
        self.maxLength = maxLength
        self.strategy = strategy
        self.fromLeft = fromLeft
    }

    /// Shortens `first` (and `second`) so that, with `reserved` special tokens, the total fits.
    func apply(_ first: inout Encoding, _ second: inout Encoding?, reserved: Int) {
        let limit = max(0, maxLength - reserved)
        let total = first.count + (second?.count ?? 0)
        guard total > limit else { return }
        guard var other = second else {
            first.truncate(to: limit, fromLeft: fromLeft)
            return
        }
        switch strategy {
        case .longestFirst:
            // The shorter input keeps its length when the longer one can absorb the cut;
            // otherwise both are cut to about half (the first gets the smaller half).
            let swapped = first.count > other.count
            var short = swapped ? other.count : first.count
            var long = short > limit ? short : max(short, limit - short)
            if short + long > limit {
                short = limit / 2
                long = short + limit % 2
            }
            first.truncate(to: swapped ? long : short, fromLeft: fromLeft)
            other.truncate(to: swapped ? short : long, fromLeft: fromLeft)
        case .onlyFirst:
            first.truncate(to: max(0, first.count - (total - limit)), fromLeft: fromLeft)
        case .onlySecond:
            other.truncate(to: max(0, other.count - (total - limit)), fromLeft: fromLeft)
        }
        second = other
    }
}

/// Padding as Hugging Face `tokenizers` applies it, after special tokens are added.
public struct Padding: Equatable, Sendable {
    public enum Length: Equatable, Sendable {
        /// To the longest encoding of the batch (a single encoding is its own batch).
        case batchLongest
        case fixed(Int)
    }

    public var length: Length
    public var multipleOf: Int?
    public var padId: Int
    public var padTypeId: Int
    public var padToken: String
    /// Put the padding before the tokens instead of after.
    public var onLeft: Bool

    public init(length: Length, multipleOf: Int? = nil, padId: Int, padTypeId: Int = 0, padToken: String, onLeft: Bool = false) {
        self.length = length
        self.multipleOf = multipleOf
        self.padId = padId
        self.padTypeId = padTypeId
        self.padToken = padToken
        self.onLeft = onLeft
    }

    /// Pads every encoding to the same target length.
    public func apply(_ encodings: inout [Encoding]) {
        var target: Int
        switch length {
        case .batchLongest: target = encodings.map(\.count).max() ?? 0
        case .fixed(let fixed): target = fixed
        }
        if let multiple = multipleOf, multiple > 0, target % multiple != 0 {
            target += multiple - target % multiple
        }
        for index in encodings.indices {
            pad(&encodings[index], to: target)
        }
    }

    private func pad(_ encoding: inout Encoding, to target: Int) {
        let missing = target - encoding.count
        guard missing > 0 else { return }
        let padding = Encoding(
            ids: Array(repeating: padId, count: missing),
            typeIds: Array(repeating: padTypeId, count: missing),
            specialTokensMask: Array(repeating: 1, count: missing),
            attentionMask: Array(repeating: 0, count: missing))
        if onLeft {
            var padded = padding
            padded.append(encoding)
            encoding = padded
        } else {
            encoding.append(padding)
        }
    }
}
