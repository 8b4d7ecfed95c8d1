import ArgumentParser
import Glibc
import RevmuxFormats

/// Reports an error on standard error and exits with its sysexits code.
func fail(_ error: ModelOpenError) -> ExitCode {
    printError(error.description)
    return ExitCode(error.isIOFailure ? Sysexits.ioError : Sysexits.dataError)
}

/// Reports a file that failed to open (74 when the system failed, 65 for its contents).
func fail<Problem>(_ error: OpenError<Problem>) -> ExitCode {
    printError(error.description)
    if case .io = error { return ExitCode(Sysexits.ioError) }
    return ExitCode(Sysexits.dataError)
}

func printError(_ message: String) {
    var stderr = StandardError()
    print("revmux: error: \(message)", to: &stderr)
}

enum Sysexits {
    static let usage: Int32 = 64
    static let dataError: Int32 = 65
    static let cannotCreate: Int32 = 73
    static let ioError: Int32 = 74
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var bytes = Array(string.utf8)
        bytes.withUnsafeMutableBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
