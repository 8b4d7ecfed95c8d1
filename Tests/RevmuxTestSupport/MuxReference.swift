import Foundation

/// Tests/Fixtures/reference/mux-logits.json (Tests/Fixtures/make_mux_references.py): head
/// logits of MiniLM's multiplexed path and of its teacher, from an independent torch
/// implementation, for `--init-adapters seed` tensors.
public struct MuxReference: Decodable {
    public struct Run: Decodable {
        public let mux: Int
        public let prefill: Int
        public let logits: [[Float]]
        public let teacher: [[Float]]
    }
    public let seed: UInt64
    public let labels: [String]
    public let sentences: [String]
    public let ids: [[Int32]]
    public let runs: [Run]

    public static func load() throws -> MuxReference {
        try JSONDecoder().decode(MuxReference.self, from: Data(contentsOf: Repository.fixture("reference/mux-logits.json")))
    }
}
