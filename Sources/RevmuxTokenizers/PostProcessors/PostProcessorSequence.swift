import RevmuxJSON

/// Runs post-processors one after the other on the unmerged encodings.
public struct PostProcessorSequence: EncodingsPostProcessor {
    private let processors: [any EncodingsPostProcessor]

    init(json: JSONValue, model: any TokenModel) throws(TokenizerError) {
        guard let members = json["processors"]?.array else {
            throw .invalid(component: "post-processor Sequence", reason: "needs a processors array")
        }
        var processors: [any EncodingsPostProcessor] = []
        for member in members {
            let type = try componentType(member, "post-processor")
            // ByteLevel post-processing only trims offsets, which encodings here do not carry.
            if type == "ByteLevel" { continue }
            guard let processor = try makePostProcessor(member, model: model) as? any EncodingsPostProcessor else {
                throw .unsupported(component: "post-processor Sequence member", type: type)
            }
            processors.append(processor)
        }
        self.processors = processors
    }

    public func addedTokenCount(isPair: Bool) -> Int {
        processors.reduce(0) { $0 + $1.addedTokenCount(isPair: isPair) }
    }

    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        processors.reduce(encodings) { $1.processEncodings($0, addSpecialTokens: addSpecialTokens) }
    }
}
