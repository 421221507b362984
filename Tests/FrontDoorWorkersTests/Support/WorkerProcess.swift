import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A `frontdoor` process started by a test (`frontdoor worker attendance`, …), with its
/// standard output and error in a log file the test can read.
final class WorkerProcess: @unchecked Sendable {
    let name: String
    let process = Process()
    let logURL: URL

    init(_ arguments: [String], name: String, environment: [String: String]) throws {
        self.name = name
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("fdtest-\(name)-\(TestEnvironment.uniqueSuffix()).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process.executableURL = try TestEnvironment.binary()
        process.arguments = arguments
        // The test's own FRONTDOOR_* settings (a developer's FRONTDOOR_TODAY, say) stay out: the
        // process gets exactly the pipeline's.
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("FRONTDOOR_") }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = TestEnvironment.packageRoot
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }
    var logTail: String { log.split(separator: "\n").suffix(15).joined(separator: "\n") }

    func signal(_ sig: Int32) { _ = kill(pid, sig) }

    /// Waits for the process to end; kills it and records an issue if it does not within `timeout`.
    @discardableResult
    func waitForExit(
        timeout: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws
        -> (reason: Process.TerminationReason, status: Int32)
    {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            if clock.now >= deadline {
                signal(SIGKILL)
                Issue.record("\(name) did not exit within \(timeout); log:\n\(logTail)", sourceLocation: sourceLocation)
                throw TestSetupError("\(name) did not exit")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (process.terminationReason, process.terminationStatus)
    }

    /// Ends the process if a test left it running (a failed test), then removes the log.
    func cleanUp() {
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }

    /// The `partitions=` of every "partitions assigned" and "partitions revoked" line, in order:
    /// what the process owns is the assigned minus the revoked.
    var ownedPartitions: Set<String> {
        var owned = Set<String>()
        for line in log.split(separator: "\n") {
            guard let range = line.range(of: "partitions=") else { continue }
            let list = line[range.upperBound...].prefix { !$0.isWhitespace }.split(separator: ",").map(String.init)
            if line.contains("partitions assigned") { owned.formUnion(list) }
            if line.contains("partitions revoked") { owned.subtract(list) }
        }
        return owned
    }
}

/// Runs `scripts/stack.sh` with `arguments` and returns its standard output; throws on failure.
///
/// Spawned with `posix_spawn` and reaped with `waitpid`, not with Foundation's `Process`:
/// `pg-private-up` and `-start` leave a postmaster running, and a daemon that inherits the
/// descriptor `Process` watches keeps it from ever seeing the script end. Output goes through
/// files and every other descriptor is closed in the child for the same reason.
@discardableResult
func stackScript(_ arguments: [String]) async throws -> String {
    let dir = FileManager.default.temporaryDirectory
    let outPath = dir.appendingPathComponent("fdtest-stack-\(TestEnvironment.uniqueSuffix()).out").path
    let errPath = dir.appendingPathComponent("fdtest-stack-\(TestEnvironment.uniqueSuffix()).err").path
    defer {
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    // Close every inherited descriptor above 2 (other tests' Process watch sockets, Kafka
    // sockets) before running the script, so the postmaster it starts holds none of them.
    let closeAndRun = #"for fd in /proc/$$/fd/*; do n=${fd##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-"; done 2>/dev/null; exec /bin/bash "$0" "$@""#
    let argv: [UnsafeMutablePointer<CChar>?] =
        (["/bin/bash", "-c", closeAndRun, TestEnvironment.stackScript] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/bash", &actions, nil, argv, environ)
    guard spawned == 0 else { throw TestSetupError("posix_spawn stack.sh failed: \(spawned)") }
    var status: Int32 = 0
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { break }
        if r < 0 && errno != EINTR { throw TestSetupError("waitpid failed: \(errno)") }
        try await Task.sleep(for: .milliseconds(50))
    }
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    guard exited && code == 0 else {
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        throw TestSetupError("stack.sh \(arguments.joined(separator: " ")) failed (status \(status)): \(err)")
    }
    return out.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A TCP port on 127.0.0.1 nothing listens on now.
func freeLocalPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSetupError("socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else { throw TestSetupError("bind() failed") }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Runs `body` against a PostgreSQL cluster of the test's own (`stack.sh pg-private-up` under
/// `.local/state`), which the test may stop and start (`pg-private-stop <dir>`,
/// `pg-private-start <dir> <port>`); the cluster is taken down afterwards, also when `body` throws.
func withPrivateCluster<R>(_ body: (_ server: String, _ dir: String, _ port: Int) async throws -> R) async throws -> R {
    let dir = TestEnvironment.packageRoot.appendingPathComponent(".local/state/fdtest-pg-\(TestEnvironment.uniqueSuffix())").path
    let port = try freeLocalPort()
    let server = try await stackScript(["pg-private-up", dir, String(port)])
    let result: R
    do {
        result = try await body(server, dir, port)
    } catch {
        _ = try? await stackScript(["pg-private-down", dir])
        throw error
    }
    try await stackScript(["pg-private-down", dir])
    return result
}
