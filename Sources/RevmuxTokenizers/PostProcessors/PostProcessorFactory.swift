import RevmuxJSON

/// Builds the post-processor a tokenizer.json object describes, by its "type".
/// Special tokens named by content are resolved to ids through `model`.
func makePostProcessor(_ json: JSONValue, model: any TokenModel) throws(TokenizerError) -> any PostProcessor {
    let type = try componentType(json, "post-processor")
    switch type {
    default: throw .unsupported(component: "post-processor", type: type)
    }
}
