import Foundation
import RevmuxFormats
import RevmuxTestSupport
import RevmuxTokenizers
import XCTest

/// The T5 GGUF llama.cpp's converter writes (asset t5-fixture-gated-gguf) tokenizes the T5
/// reference sentences as Hugging Face `tokenizers` does on the fixture's tokenizer.json,
/// </s> included (Tests/Fixtures/make_t5_references.py).
final class T5GGUFTokenizerTests: XCTestCase {
    struct Reference: Decodable {
        let sentences: [String]
        let ids: [[Int]]
    }

    func testReferenceSentences() throws {
        let path = try SampleAssets.file("t5-fixture-gated-gguf", "model.gguf")
        let tokenizer = try Tokenizer(gguf: GGUFFile(path: path).layout)
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Repository.fixture("reference/t5-references.json")))
        for (sentence, ids) in zip(reference.sentences, reference.ids) {
            XCTAssertEqual(tokenizer.encode(sentence).ids, ids, sentence)
        }
    }
}
