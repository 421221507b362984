import Foundation
import FrontDoorMessaging
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("Producer while the broker is down")
struct BrokerOutageTests {
    /// A send to a broker that has gone away fails once `message.timeout.ms` has passed; it never hangs.
    @Test(.timeLimit(.minutes(1)))
    func sendFailsAfterMessageTimeoutWhenBrokerIsDown() async throws {
        let broker = try PrivateTansu.start()
        defer { broker.kill() }
        let topic = TestKafka.uniqueTopic("outage")

        var configuration = TestKafka.producerConfiguration(brokers: [broker.address])
        configuration.messageTimeout = .seconds(3)
        configuration.additionalProperties["reconnect.backoff.max.ms"] = "500"
        let producer = try KafkaProducer(configuration: configuration, logger: TestKafka.logger)

        let first = try await producer.send(KafkaProducerMessage(topic: topic, key: Array("k".utf8), value: Array("up".utf8)))
        #expect(first.topic == topic)
        #expect(first.offset == 0)

        broker.kill()
        let clock = ContinuousClock()
        let start = clock.now
        let outcome: Result<KafkaDeliveryReport, KafkaError>
        do {
            outcome = .success(
                try await producer.send(KafkaProducerMessage(topic: topic, key: Array("k".utf8), value: Array("down".utf8)))
            )
        } catch {
            outcome = .failure(error)
        }
        let elapsed = start.duration(to: clock.now)
        await producer.close(timeout: .zero)

        guard case .failure(let error) = outcome else {
            Issue.record("a send to a stopped broker succeeded: \(outcome)")
            return
        }
        #expect(error.code == .delivery)
        #expect(error.rdKafkaCode == -192, "RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, got \(error)")
        #expect(elapsed >= .milliseconds(2500), "failed before the message timeout: \(elapsed)")
        #expect(elapsed < .seconds(20), "took far longer than the 3 s message timeout: \(elapsed)")
    }
}

/// A Tansu broker of this test's own on a free loopback port, so that stopping it leaves the
/// shared broker alone.
final class PrivateTansu: Sendable {
    let address: String
    private let process: Process

    private init(address: String, process: Process) {
        self.address = address
        self.process = process
    }

    /// `FRONTDOOR_TANSU`, or `.local/tansu` in the package root (found from this file's path).
    static var executable: String {
        if let path = ProcessInfo.processInfo.environment["FRONTDOOR_TANSU"] { return path }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
                FileManager.default.fileExists(atPath: directory.appendingPathComponent(".local/tansu").path)
            {
                return directory.appendingPathComponent(".local/tansu").path
            }
            directory.deleteLastPathComponent()
        }
        return "/work/main/.local/tansu"
    }

    static func start() throws -> PrivateTansu {
        let port = try freePort()
        let address = "127.0.0.1:\(port)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "broker",
            "--listener-url", "tcp://\(address)",
            "--advertised-listener-url", "tcp://\(address)",
            "--storage-engine", "memory://tansu/",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let broker = PrivateTansu(address: address, process: process)
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if canConnect(port: port) { return broker }
            usleep(50_000)
        }
        broker.kill()
        throw BrokerDidNotStart(executable: executable)
    }

    /// SIGKILL, then wait for the process to go. Safe to call twice.
    func kill() {
        if self.process.isRunning {
            _ = Glibc.kill(self.process.processIdentifier, SIGKILL)
        }
        self.process.waitUntilExit()
    }

    struct BrokerDidNotStart: Error {
        let executable: String
    }

    private static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func canConnect(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
