#if FUZZING
import Glibc
#else
import Foundation
#endif

/// libFuzzer harnesses for revmux's parsers, in one executable.
///
/// Built with `-sanitize=fuzzer,address -DFUZZING` (see scripts/fuzz.sh) it is a libFuzzer
/// binary: `revmux-fuzz TARGET [libFuzzer arguments...]`. Built normally it replays files
/// through the same harness: `revmux-fuzz TARGET FILE...`, to reproduce a finding.
///
/// SwiftPM on Linux renames an executable's entry point and aliases `main` to it, which
/// hides libFuzzer's own `main`; so this `@main` stays in both builds and hands control
/// to libFuzzer through `LLVMFuzzerRunDriver`.
@main
struct FuzzMain {
    static func main() throws {
        var arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
            print("usage: revmux-fuzz \(names) [libFuzzer arguments | files to replay]")
            exit(64)
        }
        selected = target
        arguments.remove(at: 1)
        #if FUZZING
        var argc = CInt(arguments.count)
        // libFuzzer keeps argv for the whole run: it lives until exit.
        var argv = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: arguments.count + 1)
        for (index, argument) in arguments.enumerated() { argv[index] = strdup(argument) }
        argv[arguments.count] = nil
        exit(LLVMFuzzerRunDriver(&argc, &argv) { LLVMFuzzerTestOneInput($0, $1) })
        #else
        for path in arguments.dropFirst() {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            data.withUnsafeBytes { target.run($0) }
            print("\(path): ok")
        }
        #endif
    }
}

/// The harness libFuzzer calls; the target is fixed before fuzzing starts.
nonisolated(unsafe) var selected = FuzzTarget.json

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

#if FUZZING
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
