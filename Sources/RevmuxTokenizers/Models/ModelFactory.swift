import RevmuxJSON

/// Builds the model a tokenizer.json object describes, by its "type".
func makeModel(_ json: JSONValue) throws(TokenizerError) -> any TokenModel {
    let type = try componentType(json, "model")
    switch type {
    case "WordPiece": return try WordPieceModel(json: json)
    case "WordLevel": return try WordLevelModel(json: json)
    case "Unigram": return try Unigram(json: json)
    case "BPE": return try BPE(json: json)
    default: throw .unsupported(component: "model", type: type)
    }
}
