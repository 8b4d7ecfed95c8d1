import RevmuxJSON

/// Lays out the sequences and special tokens as a template says, with a type id for each
/// piece: for BERT, `[CLS] $A [SEP]` and `[CLS] $A [SEP] $B:1 [SEP]:1`.
public struct TemplateProcessing: EncodingsPostProcessor {
    public enum Item: Equatable, Sendable {
        /// Sequence A (0) or B (1), all its tokens taking `typeId`.
        case sequence(Int, typeId: Int)
        /// Special token ids (one template item can stand for several ids).
        case special([Int], typeId: Int)
    }

    public var single: [Item]
    public var pair: [Item]

    public init(single: [Item], pair: [Item]) {
        self.single = single
        self.pair = pair
    }

    init(json: JSONValue) throws(TokenizerError) {
        let component = "TemplateProcessing"
        var specialTokens: [String: [Int]] = [:]
        for (name, token) in json["special_tokens"]?.entries ?? [] {
            guard let idsJSON = token["ids"]?.array else {
                throw .invalid(component: component, reason: "special token \"\(name)\" has no ids")
            }
            var ids: [Int] = []
            for id in idsJSON {
                guard let id = id.nonNegativeInt else { throw .invalid(component: component, reason: "special token \"\(name)\" has a bad id") }
                ids.append(id)
            }
            specialTokens[name] = ids
        }
        func template(_ key: String) throws(TokenizerError) -> [Item] {
            guard let pieces = json[key]?.array else { throw .invalid(component: component, reason: "needs a \(key) template") }
            var items: [Item] = []
            for piece in pieces {
                if let sequence = piece["Sequence"] {
                    guard let typeId = sequence["type_id"]?.nonNegativeInt else {
                        throw .invalid(component: component, reason: "a Sequence piece needs a type_id")
                    }
                    switch sequence["id"]?.string {
                    case "A": items.append(.sequence(0, typeId: typeId))
                    case "B": items.append(.sequence(1, typeId: typeId))
                    default: throw .invalid(component: component, reason: "a Sequence piece's id must be A or B")
                    }
                } else if let special = piece["SpecialToken"] {
                    guard let name = special["id"]?.string, let typeId = special["type_id"]?.nonNegativeInt else {
                        throw .invalid(component: component, reason: "a SpecialToken piece needs an id and a type_id")
                    }
                    // tokenizers accepts this, and panics on the first encoding.
                    guard let ids = specialTokens[name] else {
                        throw .invalid(component: component, reason: "special token \"\(name)\" is used but not defined")
                    }
                    items.append(.special(ids, typeId: typeId))
                } else {
                    throw .invalid(component: component, reason: "a template piece must be a Sequence or a SpecialToken")
                }
            }
            return items
        }
        let single = try template("single")
        // tokenizers accepts this too, and panics on the first encoding.
        guard !single.contains(where: { if case .sequence(1, _) = $0 { true } else { false } }) else {
            throw .invalid(component: component, reason: "the single template uses sequence B")
        }
        self.init(single: single, pair: try template("pair"))
    }

    public func addedTokenCount(isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { total, item in
            if case .special(let ids, _) = item { total + ids.count } else { total }
        }
    }

    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        (encodings.count == 2 ? pair : single).compactMap { item in
            switch item {
            case .sequence(let index, let typeId):
                encodings[index].withTypeId(typeId)
            case .special(let ids, let typeId):
                addSpecialTokens ? .special(ids, typeId: typeId) : nil
            }
        }
    }
}
