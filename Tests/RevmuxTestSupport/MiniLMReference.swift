import Foundation

/// Tests/Fixtures/reference/minilm-embeddings.{json,bin}.
public struct MiniLMReference {
    struct Header: Decodable {
        let batch: Int
        let texts: [String]
        let ids: [[Int32]]
        let hidden_dims: [Int]
    }
    public let batch: Int
    public let texts: [String]
    public let ids: [[Int32]]
    public let hiddenDims: [Int]
    /// [line][384], from float16.
    public let embeddings: [[Float]]
    /// [line][first, middle, last real token][sampled dim].
    public let hidden: [[[Float]]]

    public static func load() throws -> MiniLMReference {
        let header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: Repository.fixture("reference/minilm-embeddings.json")))
        let bytes = try Data(contentsOf: Repository.fixture("reference/minilm-embeddings.bin"))
        let count = header.ids.count, d = 384, dims = header.hidden_dims.count
        return bytes.withUnsafeBytes { raw in
            let embeddings = (0..<count).map { i in
                (0..<d).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: (i * d + $0) * 2, as: UInt16.self))) }
            }
            let base = count * d * 2
            let hidden = (0..<count).map { i in
                (0..<3).map { p in
                    (0..<dims).map { raw.loadUnaligned(fromByteOffset: base + ((i * 3 + p) * dims + $0) * 4, as: Float.self) }
                }
            }
            return MiniLMReference(batch: header.batch, texts: header.texts, ids: header.ids, hiddenDims: header.hidden_dims,
                             embeddings: embeddings, hidden: hidden)
        }
    }
}

