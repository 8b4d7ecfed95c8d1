import RevmuxJSON
import RevmuxTensors

/// Maps and parses a JSON file, naming the file in any error.
func readJSONFile(_ path: String) throws(OpenError<JSONError>) -> JSON {
    try openMapped(path) { (bytes) throws(JSONError) in try JSON.parse(bytes) }.1
}
