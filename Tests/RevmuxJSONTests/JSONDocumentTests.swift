import RevmuxJSON
import XCTest

final class JSONDocumentTests: XCTestCase {
    private func parse(_ text: String) throws(JSONError) -> JSONDocument {
        let bytes = Array(text.utf8)
        let result = bytes.withUnsafeBytes { raw in Result { () throws(JSONError) in try JSONDocument(parsing: raw) } }
        return try result.get()
    }

    private func error(_ text: String) -> JSONError? {
        do {
            _ = try parse(text)
            return nil
        } catch {
            return error
        }
    }

    func testReadsValuesInDocumentOrder() throws {
        let document = try parse(#" {"b": [1, -2, 3.5, "x\u00e9", true, null], "a": {"n": 18446744073709551615}} "#)
        let root = document.root
        XCTAssertEqual(root.entries?.map(\.key), ["b", "a"])
        let items = try XCTUnwrap(root["b"]?.array)
        XCTAssertEqual(items[0].int, 1)
        XCTAssertEqual(items[1].int, -2)
        XCTAssertNil(items[1].nonNegativeInt)
        XCTAssertEqual(items[2].double, 3.5)
        XCTAssertNil(items[2].int)
        XCTAssertEqual(items[3].string, "xé")
        XCTAssertEqual(items[4].bool, true)
        XCTAssertTrue(items[5].isNull)
        // Above Int.max: not an Int, never silently saturated.
        XCTAssertNil(root["a"]?["n"]?.int)
        XCTAssertNil(root["missing"])
    }

    func testBareScalarsAtTopLevel() throws {
        XCTAssertEqual(try parse("12").root.int, 12)
        XCTAssertEqual(try parse(" 12 \n").root.int, 12)
        XCTAssertEqual(try parse("\"s\"").root.string, "s")
    }

    func testRepeatedKeysAreNamedAtAnyDepth() {
        XCTAssertEqual(error(#"{"a": 1, "a": 2}"#), .duplicateKey("a", depth: 0))
        XCTAssertEqual(error(#"{"x": {"b": [{"c": 1, "d": {}, "c": 2}]}}"#), .duplicateKey("c", depth: 3))
        // Escapes are decoded before comparing: "\u0061" is "a".
        XCTAssertEqual(error(#"{"a": 1, "\u0061": 2}"#), .duplicateKey("a", depth: 0))
        // Same key in sibling objects is fine.
        XCTAssertNil(error(#"[{"a": 1}, {"a": 2}]"#))
    }

    func testLoneSurrogatesAreRejected() {
        XCTAssertNotNil(error(#""\ud800""#))
        XCTAssertNotNil(error(#""\udc00x""#))
        XCTAssertNotNil(error(#"{"\ud800": 1}"#))
        XCTAssertNotNil(error(#""\ud800\u0041""#))
        XCTAssertNil(error(#""\ud83d\ude00""#))
    }

    func testSyntaxErrors() {
        for bad in ["nan", "[nan]", "[NaN]", "[-Infinity]", "[infinity]", "[01]", "[1.]", "[.5]", "", "{", "{\"a\":1,}", "[1 2]", "{'a': 1}", "{\"a\":1} x", "nul", "\"\u{1}\""] {
            XCTAssertNotNil(error(bad), "accepted \(bad.debugDescription)")
        }
        XCTAssertEqual(error("\"a\u{1F}b\""), .invalidString(offset: 2))
    }

    func testInvalidUTF8IsRejected() {
        let bytes: [UInt8] = Array("{\"a\": \"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try JSONDocument(parsing: $0) })
    }

    func testDeepNestingIsRejectedNotRecursed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertEqual(error(deep), .tooDeep(limit: Int(JSONDocument.depthLimit)))
    }
}
