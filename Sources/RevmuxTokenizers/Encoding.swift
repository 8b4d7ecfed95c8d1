/// The result of encoding one sequence or a pair, aligned position by position.
public struct Encoding: Equatable, Sendable {
    public var ids: [Int]
    public var typeIds: [Int]
    /// 1 where the post-processor added a special token.
    public var specialTokensMask: [Int]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int]

    public init(ids: [Int], typeId: Int = 0) {
        self.ids = ids
        typeIds = Array(repeating: typeId, count: ids.count)
        specialTokensMask = Array(repeating: 0, count: ids.count)
        attentionMask = Array(repeating: 1, count: ids.count)
    }

    public init(ids: [Int], typeIds: [Int], specialTokensMask: [Int], attentionMask: [Int]) {
        self.ids = ids
        self.typeIds = typeIds
        self.specialTokensMask = specialTokensMask
        self.attentionMask = attentionMask
    }

    public var count: Int { ids.count }

    public mutating func append(_ other: Encoding) {
        ids += other.ids
        typeIds += other.typeIds
        specialTokensMask += other.specialTokensMask
        attentionMask += other.attentionMask
    }

    /// Keeps the first `length` positions (or the last, when `fromLeft`).
    public mutating func truncate(to length: Int, fromLeft: Bool = false) {
        guard count > length else { return }
        let range = fromLeft ? (count - length)..<count : 0..<length
        ids = Array(ids[range])
        typeIds = Array(typeIds[range])
        specialTokensMask = Array(specialTokensMask[range])
        attentionMask = Array(attentionMask[range])
    }
}
