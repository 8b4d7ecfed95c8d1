import RevmuxJSON

/// Splits numbers (Nd, Nl, No) from the rest: each digit alone, or runs of digits together.
public struct Digits: PreTokenizer {
    public var individualDigits: Bool

    public init(individualDigits: Bool = false) {
        self.individualDigits = individualDigits
    }

    init(json: JSONValue) throws(TokenizerError) {
        guard let value = json["individual_digits"] else {
            self.init()
            return
        }
        guard let individual = value.bool else {
            throw .invalid(component: "Digits", reason: "individual_digits must be a boolean")
        }
        self.init(individualDigits: individual)
    }

    public func split(_ piece: Piece, into output: inout [Piece]) {
        piece.split(individualDigits ? .isolated : .contiguous, into: &output, where: HFUnicode.isNumeric)
    }
}
