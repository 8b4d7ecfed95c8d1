import RevmuxJSON

/// Builds the decoder a tokenizer.json object describes, by its "type".
func makeDecoder(_ json: JSONValue) throws(TokenizerError) -> any TokenDecoder {
    let type = try componentType(json, "decoder")
    switch type {
    case "WordPiece": return try WordPieceDecoder(json: json)
    case "Strip": return try StripDecoder(json: json)
    case "Replace": return try ReplaceDecoder(json: json)
    case "Fuse": return Fuse(json: json)
    case "Sequence": return try DecoderSequence(json: json)
    case "Metaspace": return try MetaspaceDecoder(json: json)
    case "ByteLevel": return try ByteLevelDecoder(json: json)
    case "ByteFallback": return try ByteFallbackDecoder(json: json)
    default: throw .unsupported(component: "decoder", type: type)
    }
}
