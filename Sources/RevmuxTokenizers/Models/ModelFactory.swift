import RevmuxJSON

/// Builds the model a tokenizer.json object describes, by its "type".
func makeModel(_ json: JSONValue) throws(TokenizerError) -> any TokenModel {
    let type = try componentType(json, "model")
    switch type {
    default: throw .unsupported(component: "model", type: type)
    }
}
