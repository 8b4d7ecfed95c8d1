import RevmuxJSON

/// Builds the normalizer a tokenizer.json object describes, by its "type".
func makeNormalizer(_ json: JSONValue) throws(TokenizerError) -> any Normalizer {
    let type = try componentType(json, "normalizer")
    switch type {
    case "BertNormalizer": return try BertNormalizer(json: json)
    case "NFC", "NFD", "NFKC", "NFKD": return try UnicodeNormalizer(json: json)
    case "Lowercase": return Lowercase(json: json)
    case "StripAccents": return StripAccents(json: json)
    case "Strip": return try StripNormalizer(json: json)
    case "Replace": return try ReplaceNormalizer(json: json)
    case "Prepend": return try Prepend(json: json)
    case "Sequence": return try NormalizerSequence(json: json)
    case "Precompiled": return try Precompiled(json: json)
    default: throw .unsupported(component: "normalizer", type: type)
    }
}
