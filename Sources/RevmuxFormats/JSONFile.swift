import RevmuxJSON
import RevmuxTensors

/// Maps and parses a JSON file, naming the file in any error.
public func readJSONFile(_ path: String) throws(OpenError<JSONError>) -> JSONDocument {
    try openMapped(path) { (bytes) throws(JSONError) in try JSONDocument(parsing: bytes) }.1
}
