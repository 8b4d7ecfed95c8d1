import RevmuxJSON

/// Builds the pre-tokenizer a tokenizer.json object describes, by its "type".
func makePreTokenizer(_ json: JSONValue) throws(TokenizerError) -> any PreTokenizer {
    let type = try componentType(json, "pre-tokenizer")
    switch type {
    default: throw .unsupported(component: "pre-tokenizer", type: type)
    }
}
