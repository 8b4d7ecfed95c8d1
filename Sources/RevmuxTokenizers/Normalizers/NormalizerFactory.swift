import RevmuxJSON

/// Builds the normalizer a tokenizer.json object describes, by its "type".
func makeNormalizer(_ json: JSONValue) throws(TokenizerError) -> any Normalizer {
    let type = try componentType(json, "normalizer")
    switch type {
    default: throw .unsupported(component: "normalizer", type: type)
    }
}
