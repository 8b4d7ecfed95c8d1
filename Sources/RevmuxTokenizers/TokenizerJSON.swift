import RevmuxJSON

extension Tokenizer {
    /// Builds the tokenizer a Hugging Face tokenizer.json describes. A component type
    /// we do not implement is an error naming it, never an approximation.
    public init(tokenizerJSON root: JSONValue) throws(TokenizerError) {
        guard root.isObject else { throw .invalid(component: "tokenizer.json", reason: "must be a JSON object") }
        let normalizer = try root["normalizer"].flatMap(nonNull).map(makeNormalizer)
        guard let modelJSON = root["model"].flatMap(nonNull) else {
            throw .invalid(component: "tokenizer.json", reason: "has no model")
        }
        let model = try makeModel(modelJSON)
        self.init(
            addedTokens: try (root["added_tokens"]?.array ?? []).map(addedToken),
            normalizer: normalizer,
            preTokenizer: try root["pre_tokenizer"].flatMap(nonNull).map(makePreTokenizer),
            model: model,
            postProcessor: try root["post_processor"].flatMap(nonNull).map { (json) throws(TokenizerError) in
                try makePostProcessor(json, model: model)
            },
            decoder: try root["decoder"].flatMap(nonNull).map(makeDecoder),
            truncation: try root["truncation"].flatMap(nonNull).map(parseTruncation),
            padding: try root["padding"].flatMap(nonNull).map(parsePadding))
    }
}

private func nonNull(_ value: JSONValue) -> JSONValue? {
    value.isNull ? nil : value
}

/// The `type` of a component object, for the factories' dispatch.
func componentType(_ json: JSONValue, _ component: String) throws(TokenizerError) -> String {
    guard let type = json["type"]?.string else {
        throw .invalid(component: component, reason: "has no \"type\"")
    }
    return type
}

private func addedToken(_ json: JSONValue) throws(TokenizerError) -> AddedToken {
    guard let id = json["id"]?.nonNegativeInt, let content = json["content"]?.string else {
        throw .invalid(component: "added_tokens", reason: "every entry needs an id and a content")
    }
    return AddedToken(
        id: id, content: content, special: json["special"]?.bool ?? false,
        singleWord: json["single_word"]?.bool ?? false, lstrip: json["lstrip"]?.bool ?? false,
        rstrip: json["rstrip"]?.bool ?? false, normalized: json["normalized"]?.bool ?? true)
}

private func parseTruncation(_ json: JSONValue) throws(TokenizerError) -> Truncation {
    guard let maxLength = json["max_length"]?.nonNegativeInt else {
        throw .invalid(component: "truncation", reason: "needs max_length")
    }
    let strategyName = json["strategy"]?.string ?? "LongestFirst"
    guard let strategy = Truncation.Strategy(rawValue: strategyName) else {
        throw .unsupported(component: "truncation strategy", type: strategyName)
    }
    return Truncation(maxLength: maxLength, strategy: strategy, fromLeft: json["direction"]?.string == "Left")
}

private func parsePadding(_ json: JSONValue) throws(TokenizerError) -> Padding {
    let length: Padding.Length
    if let fixed = json["strategy"]?["Fixed"]?.nonNegativeInt {
        length = .fixed(fixed)
    } else {
        length = .batchLongest
    }
    return Padding(
        length: length, multipleOf: json["pad_to_multiple_of"]?.nonNegativeInt,
        padId: json["pad_id"]?.nonNegativeInt ?? 0, padTypeId: json["pad_type_id"]?.nonNegativeInt ?? 0,
        padToken: json["pad_token"]?.string ?? "[PAD]", onLeft: json["direction"]?.string == "Left")
}
