import Foundation
import Testing

/// `scripts/stack.sh env` and `up` (`make up`): what reaches a terminal names no database
/// password, and what a script captures (`eval "$(scripts/stack.sh env | sed 's/^/export /')"`,
/// make's `$(shell ...)`) is still the whole URL the tests and `make run` connect with.
@Suite("Local stack script")
struct StackScriptTests {
    /// `scripts/stack.sh <arguments>` with its standard output on a pseudo-terminal (util-linux `script`).
    static func onATerminal(_ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", (["/bin/bash", TestEnvironment.stackScript] + arguments).joined(separator: " "), "/dev/null"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "stack.sh \(arguments) on a terminal failed")
        return String(decoding: data, as: UTF8.self)
    }

    /// The database password in what `env` prints when captured (the whole URL).
    static func capturedPassword() async throws -> String {
        let captured = try await stackScript(["env"])
        let url = try #require(
            captured.split(separator: "\n").first { $0.hasPrefix("FRONTDOOR_DATABASE_URL=") }?
                .dropFirst("FRONTDOOR_DATABASE_URL=".count))
        return try #require(URLComponents(string: String(url))?.password, "the captured URL has the password: \(url)")
    }

    @Test("env: the password only when captured")
    func envShowsNoPasswordOnATerminal() async throws {
        let password = try await Self.capturedPassword()

        let shown = try Self.onATerminal(["env"])
        #expect(shown.contains("FRONTDOOR_DATABASE_URL=postgres://frontdoor@127.0.0.1:"), "\(shown)")
        #expect(shown.contains("FRONTDOOR_KAFKA_BROKERS="), "\(shown)")
        #expect(!shown.contains(":\(password)@"), "no password on a terminal: \(shown)")
    }

    @Test("up: never the password (it is only ever read by people)")
    func upShowsNoPassword() async throws {
        let printed = try await stackScript(["up"])  // the stack the tests run on is up: this only prints
        #expect(printed.contains("FRONTDOOR_DATABASE_URL=postgres://frontdoor@127.0.0.1:"), "\(printed)")
        let password = try await Self.capturedPassword()
        #expect(!printed.contains(":\(password)@"), "\(printed)")
    }
}
