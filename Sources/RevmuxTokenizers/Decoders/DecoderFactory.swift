import RevmuxJSON

/// Builds the decoder a tokenizer.json object describes, by its "type".
func makeDecoder(_ json: JSONValue) throws(TokenizerError) -> any TokenDecoder {
    let type = try componentType(json, "decoder")
    switch type {
    default: throw .unsupported(component: "decoder", type: type)
    }
}
