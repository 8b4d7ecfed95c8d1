/// A model's buffers by batch shape (count × length). A multiplexed run alternates between
/// the prefill shape (B sequences) and the mixed one (B/N), and neither should reallocate;
/// shapes also vary from batch to batch, so only a few are kept.
struct WorkspaceCache<Space> {
    private struct Key: Hashable { let count: Int, length: Int }
    private var spaces: [Key: Space] = [:]
    private let capacity = 4

    mutating func space(count: Int, length: Int, _ make: () -> Space) -> Space {
        let key = Key(count: count, length: length)
        if let space = spaces[key] { return space }
        if spaces.count >= capacity { spaces.removeAll() }
        let space = make()
        spaces[key] = space
        return space
    }
}
