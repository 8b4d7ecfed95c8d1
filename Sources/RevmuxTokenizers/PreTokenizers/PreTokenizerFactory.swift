import RevmuxJSON

/// Builds the pre-tokenizer a tokenizer.json object describes, by its "type".
func makePreTokenizer(_ json: JSONValue) throws(TokenizerError) -> any PreTokenizer {
    let type = try componentType(json, "pre-tokenizer")
    switch type {
    case "BertPreTokenizer": return BertPreTokenizer(json: json)
    case "Whitespace": return Whitespace(json: json)
    case "WhitespaceSplit": return WhitespaceSplit(json: json)
    case "Punctuation": return try Punctuation(json: json)
    case "Digits": return try Digits(json: json)
    case "Sequence": return try PreTokenizerSequence(json: json)
    case "Metaspace": return try Metaspace(json: json)
    case "ByteLevel": return try ByteLevelPreTokenizer(json: json)
    case "Split": return try SplitPreTokenizer(json: json)
    default: throw .unsupported(component: "pre-tokenizer", type: type)
    }
}
