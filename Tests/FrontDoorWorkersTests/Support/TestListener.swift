import Dispatch
import Foundation
import FrontDoorWorkers
import Prometheus

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a worker process has for its metrics and health endpoints, for in-process workers: a
/// Prometheus registry of its own (so that tests running side by side do not mix figures), the
/// ``FrontDoorMetrics`` recording into it, and a free port for ``HealthServer``.
struct TestListener: Sendable {
    let registry = PrometheusCollectorRegistry()
    let metrics: FrontDoorMetrics
    let port: Int

    init() throws {
        metrics = FrontDoorMetrics(factory: HealthServer.prometheusFactory(registry: registry))
        port = try freeLocalPort()
    }

    /// `GET path` on the listener.
    func get(_ path: String) async throws -> HTTPAnswer { try await httpGet(port: port, path: path) }

    /// The sample lines of `/metrics` (comments left out).
    func samples() async throws -> [String] {
        let answer = try await get("/metrics")
        guard answer.status == 200 else { throw TestSetupError("/metrics answered \(answer.status)") }
        return answer.body.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    }
}

/// The value of the sample `name{labels}` (labels in the order they were recorded), if any.
func sample(_ lines: [String], _ name: String, _ labels: [(String, String)] = []) -> Double? {
    let key = labels.isEmpty ? name : name + "{" + labels.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ",") + "}"
    for line in lines where line.hasPrefix(key + " ") {
        return Double(line.dropFirst(key.count + 1).trimmingCharacters(in: .whitespaces))
    }
    return nil
}

struct HTTPAnswer: Sendable, CustomStringConvertible {
    var status: Int
    var body: String
    var description: String { "\(status) \(body.prefix(300))" }
}

/// A plain HTTP/1.1 `GET` to 127.0.0.1:`port` with `Connection: close`, on a thread of its own
/// (a few lines of sockets, so the tests need no HTTP client package).
func httpGet(port: Int, path: String, timeout: Duration = .seconds(10)) async throws -> HTTPAnswer {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try blockingGet(port: port, path: path, timeout: timeout) })
        }
    }
}

private func blockingGet(port: Int, path: String, timeout: Duration) throws -> HTTPAnswer {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestSetupError("socket() failed") }
    defer { close(fd) }
    var tv = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestSetupError("connect to port \(port) failed (errno \(errno))") }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
        throw TestSetupError("send failed")
    }
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 { throw TestSetupError("recv failed (errno \(errno))") }
        if n == 0 { break }
        response += buffer[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let headEnd = text.range(of: "\r\n\r\n") else { throw TestSetupError("no HTTP response: \(text.prefix(200))") }
    let statusLine = text[..<headEnd.lowerBound].split(separator: "\r\n").first ?? ""
    let parts = statusLine.split(separator: " ")
    guard parts.count >= 2, let status = Int(parts[1]) else { throw TestSetupError("bad status line: \(statusLine)") }
    return HTTPAnswer(status: status, body: String(text[headEnd.upperBound...]))
}
