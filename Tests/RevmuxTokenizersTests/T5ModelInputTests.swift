import Foundation
import RevmuxTokenizers
import XCTest

/// The T5 model fixtures' inputs (Tests/Fixtures/make_t5_references.py) are the ids Hugging Face
/// `tokenizers` gives on the fixture tokenizer.json; ours must give the same, </s> included,
/// or the T5 parity tests would compare different inputs.
final class T5ModelInputTests: XCTestCase {
    struct Reference: Decodable {
        let sentences: [String]
        let ids: [[Int]]
    }

    func testReferenceSentencesTokenizeAsTokenizers() throws {
        let tokenizer = try T5Fixtures.tokenizer("tokenizer.json")
        let url = T5Fixtures.repositoryRoot.appendingPathComponent("Tests/Fixtures/reference/t5-references.json")
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
        XCTAssertEqual(reference.sentences.count, 16)
        for (sentence, ids) in zip(reference.sentences, reference.ids) {
            XCTAssertEqual(tokenizer.encode(sentence).ids, ids, sentence)
        }
    }
}
