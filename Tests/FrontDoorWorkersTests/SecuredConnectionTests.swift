import Foundation
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import PostgresNIO
import Testing

/// Secured connections (issue 11, item 3) against the real components started by
/// `scripts/stack.sh`: a private PostgreSQL cluster serving TLS with a throw-away CA and server
/// certificate made here with `openssl`, and a Tansu broker that requires SASL/SCRAM.
@Suite("Secured connections", .serialized)
struct SecuredConnectionTests {
    // MARK: PostgreSQL over TLS

    @Test(.timeLimit(.minutes(3)))
    func verifyFullWithTheRightCAConnectsOverTLSForEveryCommand() async throws {
        try await TLSCluster.with { cluster in
            // In the URL (sslrootcert=) and through FRONTDOOR_DATABASE_SSLROOTCERT: both reach TLS.
            let inURL = WorkerSettings(environment: [
                "FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-full&sslrootcert=\(cluster.caFile)")
            ])
            #expect(try await Self.sslInUse(try inURL.databaseConfiguration()), "the session is encrypted")
            let fromEnvironment = WorkerSettings(environment: [
                "FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-full"),
                "FRONTDOOR_DATABASE_SSLROOTCERT": cluster.caFile,
            ])
            #expect(try await Self.sslInUse(try fromEnvironment.databaseConfiguration()))

            // `frontdoor migrate` (the one-shot job) with the same settings.
            let migrate = try WorkerProcess(
                ["migrate", "--timeout", "60"], name: "migrate-tls",
                environment: ["FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-full"), "FRONTDOOR_DATABASE_SSLROOTCERT": cluster.caFile])
            defer { migrate.cleanUp() }
            let exit = try await migrate.waitForExit(timeout: .seconds(90))
            #expect(exit.status == 0, "migrate over verify-full: \(migrate.logTail)")
            #expect(!migrate.log.contains(cluster.password), "the password is never printed")

            // `frontdoor purge` (the nightly CronJob; a dry run) with the same settings: the
            // governance commands once opened the database from the URL alone and so ignored
            // FRONTDOOR_DATABASE_SSLROOTCERT, failing verify-full against a private CA.
            let purge = try WorkerProcess(
                ["purge"], name: "purge-tls",
                environment: ["FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-full"), "FRONTDOOR_DATABASE_SSLROOTCERT": cluster.caFile])
            defer { purge.cleanUp() }
            let purgeExit = try await purge.waitForExit(timeout: .seconds(90))
            #expect(purgeExit.status == 0, "purge over verify-full: \(purge.logTail)")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func verifyFullWithAWrongCAFailsClearly() async throws {
        try await TLSCluster.with { cluster in
            let settings = WorkerSettings(environment: [
                "FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-full&sslrootcert=\(cluster.otherCAFile)")
            ])
            let error = try await Self.connectionError(try settings.databaseConfiguration())
            #expect(error.isUnavailable)
            #expect(error.reason.contains("TLS"), "names TLS: \(error.reason)")
            #expect(error.reason.contains("certificate"), "names the certificate: \(error.reason)")
            #expect(!"\(error)".contains(cluster.password))

            let migrate = try WorkerProcess(
                ["migrate", "--timeout", "5"], name: "migrate-wrong-ca",
                environment: ["FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-full"), "FRONTDOOR_DATABASE_SSLROOTCERT": cluster.otherCAFile])
            defer { migrate.cleanUp() }
            let exit = try await migrate.waitForExit(timeout: .seconds(60))
            #expect(exit.status != 0)
            #expect(migrate.log.contains("TLS"), "migrate says why: \(migrate.logTail)")
            #expect(!migrate.log.contains(cluster.password))
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func aCertificateForAnotherHostFailsVerifyFullButPassesVerifyCA() async throws {
        try await TLSCluster.with(serverNames: "DNS:db.elsewhere.example") { cluster in
            let full = WorkerSettings(environment: [
                "FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-full&sslrootcert=\(cluster.caFile)")
            ])
            let error = try await Self.connectionError(try full.databaseConfiguration())
            #expect(error.reason.contains("TLS"), "\(error.reason)")
            // The chain itself is good: verify-ca (no host name check) connects.
            let chainOnly = WorkerSettings(environment: [
                "FRONTDOOR_DATABASE_URL": cluster.url("sslmode=verify-ca&sslrootcert=\(cluster.caFile)")
            ])
            #expect(try await Self.sslInUse(try chainOnly.databaseConfiguration()))
        }
    }

    /// Whether a session opened with `configuration` is encrypted (`pg_stat_ssl.ssl`).
    private static func sslInUse(_ configuration: DatabaseConfiguration) async throws -> Bool {
        let database = FrontDoorDatabase(configuration: configuration, logger: TestDatabase.logger)
        return try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask {
                await database.run()
                return nil
            }
            defer { group.cancelAll() }
            let rows = try await database.client.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").collect()
            return try rows.first?.decode(Bool.self) ?? false
        }
    }

    /// The error ``FrontDoorDatabase/checkConnection(_:logger:)`` gives for `configuration`.
    private static func connectionError(_ configuration: DatabaseConfiguration) async throws -> StoreError {
        do {
            try await FrontDoorDatabase.checkConnection(configuration, logger: TestDatabase.logger)
        } catch {
            return error
        }
        Issue.record("connected, expected a TLS failure")
        throw TestSetupError("connected")
    }
}

/// A private PostgreSQL cluster serving TLS with a certificate signed by a throw-away CA, plus a
/// second, unrelated CA to distrust it with.
struct TLSCluster {
    let port: Int
    let directory: String
    /// The cluster trusts local connections (`initdb --auth=trust`), so any password logs in: a
    /// unique one that no message or log may repeat.
    let password = "pw-\(TestEnvironment.uniqueSuffix())"
    var caFile: String { directory + "/ca.crt" }
    var otherCAFile: String { directory + "/other-ca.crt" }

    func url(_ options: String) -> String { "postgres://frontdoor:\(password)@127.0.0.1:\(port)/frontdoor?\(options)" }

    /// Makes the certificates (`serverNames`: the server certificate's subjectAltName), starts the
    /// cluster, runs `body` and removes both.
    static func with(serverNames: String = "IP:127.0.0.1,DNS:localhost", _ body: (TLSCluster) async throws -> Void) async throws {
        let certificates = FileManager.default.temporaryDirectory.appendingPathComponent("fdtest-tls-\(TestEnvironment.uniqueSuffix())").path
        try FileManager.default.createDirectory(atPath: certificates, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: certificates) }
        try openssl(
            in: certificates, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj",
            "/CN=frontdoor test CA")
        try openssl(
            in: certificates, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.crt", "-days", "1",
            "-subj", "/CN=some other CA")
        try openssl(
            in: certificates, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj",
            "/CN=frontdoor test server")
        try "subjectAltName=\(serverNames)\n".write(toFile: certificates + "/san.ext", atomically: true, encoding: .utf8)
        try openssl(
            in: certificates, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt",
            "-days", "1", "-extfile", "san.ext")

        let dir = TestEnvironment.packageRoot.appendingPathComponent(".local/state/fdtest-pg-tls-\(TestEnvironment.uniqueSuffix())").path
        let port = try freeLocalPort()
        do {
            try await stackScript(["pg-private-up", dir, String(port), certificates + "/server.crt", certificates + "/server.key"])
            try await body(TLSCluster(port: port, directory: certificates))
        } catch {
            _ = try? await stackScript(["pg-private-down", dir])
            throw error
        }
        try await stackScript(["pg-private-down", dir])
    }

    static func openssl(in directory: String, _ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw TestSetupError("openssl \(arguments.first ?? "") failed") }
    }
}

/// Kafka: every client, `frontdoor topics create` included, takes `FRONTDOOR_KAFKA_<PROPERTY>`.
@Suite("Secured connections: Kafka", .serialized)
struct SecuredKafkaTests {
    /// The pass-throughs reach the admin client of `topics create`: an invalid `security.protocol`
    /// is refused (before, the command ignored every FRONTDOOR_KAFKA_* and created the topics).
    @Test(.timeLimit(.minutes(2)))
    func topicsCreateTakesTheKafkaProperties() async throws {
        let pipeline = Pipeline("secure-topics")
        let process = try WorkerProcess(
            ["topics", "create", "--partitions", "1", "--output-partitions", "1"], name: "topics-bad-protocol",
            environment: pipeline.environment(
                databaseURL: TestEnvironment.databaseURL, extra: ["FRONTDOOR_KAFKA_SECURITY_PROTOCOL": "carrier-pigeon"]))
        defer { process.cleanUp() }
        let exit = try await process.waitForExit(timeout: .seconds(60))
        #expect(exit.status != 0, "an invalid security.protocol must stop topics create: \(process.logTail)")
        #expect(process.log.contains("security.protocol"), "names the property: \(process.logTail)")
    }

    /// A broker that requires SASL/SCRAM (`stack.sh kafka-scram-up`): `topics create` with SCRAM
    /// credentials the broker does not accept fails with an error naming authentication and never
    /// prints the password; without credentials it fails and says what to set.
    @Test(.timeLimit(.minutes(3)))
    func scramBrokerRefusalIsClearAndKeepsTheSecret() async throws {
        let port = try freeLocalPort()
        let broker = try await stackScript(["kafka-scram-up", String(port)]).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            try await Self.checkRefusals(broker: broker)
        } catch {
            _ = try? await stackScript(["kafka-scram-down", String(port)])
            throw error
        }
        try await stackScript(["kafka-scram-down", String(port)])
    }

    private static func checkRefusals(broker: String) async throws {
        let pipeline = Pipeline("secure-scram")
        let secret = "pw-\(TestEnvironment.uniqueSuffix())"
        let scram = [
            "FRONTDOOR_KAFKA_BROKERS": broker, "FRONTDOOR_KAFKA_SECURITY_PROTOCOL": "sasl_plaintext",
            "FRONTDOOR_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512", "FRONTDOOR_KAFKA_SASL_USERNAME": "frontdoor-test",
            "FRONTDOOR_KAFKA_SASL_PASSWORD": secret, "FRONTDOOR_LOG_LEVEL": "warning",
        ]
        let refused = try WorkerProcess(
            ["topics", "create"], name: "topics-scram-refused",
            environment: pipeline.environment(databaseURL: TestEnvironment.databaseURL, extra: scram))
        defer { refused.cleanUp() }
        let withoutCredentials = try WorkerProcess(
            ["topics", "create"], name: "topics-no-credentials",
            environment: pipeline.environment(databaseURL: TestEnvironment.databaseURL, extra: ["FRONTDOOR_KAFKA_BROKERS": broker]))
        defer { withoutCredentials.cleanUp() }

        let refusedExit = try await refused.waitForExit(timeout: .seconds(90))
        #expect(refusedExit.status != 0)
        #expect(refused.log.contains("authentication failed"), "the error names authentication: \(refused.logTail)")
        #expect(refused.log.contains("SCRAM"), "and the mechanism: \(refused.logTail)")
        #expect(!refused.log.contains(secret), "the password is never printed")

        // A producer through FrontDoorMessaging (what the relay, simulate and the DLQ use) with the
        // same settings: its send fails naming authentication, without the password.
        var producerConfiguration = WorkerSettings(environment: scram).producerConfiguration(clientID: "secure-test")
        producerConfiguration.messageTimeout = .seconds(8)
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: TestEnvironment.logger)
        let sent = await producer.send([KafkaProducerMessage(topic: pipeline.topics.attendance, key: [1], value: [2])])
        await producer.close()
        guard case .failure(let sendError) = sent.first else {
            Issue.record("a send to a broker that refused the login succeeded")
            return
        }
        #expect("\(sendError)".contains("authentication failed"), "\(sendError)")
        #expect(!"\(sendError)".contains(secret))

        let bareExit = try await withoutCredentials.waitForExit(timeout: .seconds(90))
        #expect(bareExit.status != 0)
        #expect(withoutCredentials.log.contains("SASL authentication"), "says what to set: \(withoutCredentials.logTail)")
    }
}
