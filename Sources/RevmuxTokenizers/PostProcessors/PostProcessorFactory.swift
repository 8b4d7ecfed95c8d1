import RevmuxJSON

/// Builds the post-processor a tokenizer.json object describes, by its "type".
/// Special tokens named by content are resolved to ids through `model`.
func makePostProcessor(_ json: JSONValue, model: any TokenModel) throws(TokenizerError) -> any PostProcessor {
    let type = try componentType(json, "post-processor")
    switch type {
    case "TemplateProcessing": return try TemplateProcessing(json: json)
    case "BertProcessing": return try BertProcessing(json: json)
    case "RobertaProcessing": return try RobertaProcessing(json: json)
    case "Sequence": return try PostProcessorSequence(json: json, model: model)
    case "ByteLevel": return try ByteLevelPostProcessor(json: json)
    default: throw .unsupported(component: "post-processor", type: type)
    }
}
