import Foundation
import FrontDoorDomain
import FrontDoorFuzzing

/// `frontdoor-fuzz`: the fuzz target over the event decoder and the rules it feeds
/// (``DecoderRulesHarness``).
///
/// - Built by `make fuzz` with `-D FUZZING -sanitize=fuzzer`, it hands its arguments to
///   libFuzzer (`LLVMFuzzerRunDriver`), so every libFuzzer flag works (`-max_total_time=600`,
///   `-merge=1`, a corpus directory…). This program's own `main` keeps libFuzzer's out of the link.
/// - Built plainly (`swift build`), it needs no libFuzzer and replays files or directories:
///   `frontdoor-fuzz fuzz/corpus` prints each input's reject code, or `accepted`.
@main
struct FuzzMain {
    static func main() throws {
        let harness = try DecoderRulesHarness.fromRepositoryConfig()
        #if FUZZING
            shared = harness
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
        #else
            replay(CommandLine.arguments.dropFirst(), with: harness)
        #endif
    }

    static func replay(_ arguments: ArraySlice<String>, with harness: DecoderRulesHarness) {
        var files: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                files += names.sorted().map { argument + "/" + $0 }
            } else {
                files.append(argument)
            }
        }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            // The name first: a trap would otherwise not say which input it was.
            print(file, terminator: ": ")
            switch harness.run(Array(data)) {
            case .success: print("accepted")
            case .failure(let reject): print(reject.code.rawValue)
            }
        }
    }
}

#if FUZZING
    nonisolated(unsafe) private var shared: DecoderRulesHarness?

    /// libFuzzer's driver (compiler-rt `FuzzerDriver.cpp`):
    /// `int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t))`.
    @_silgen_name("LLVMFuzzerRunDriver")
    private func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    private func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        shared?.run(bytes)
        return 0
    }
#endif
