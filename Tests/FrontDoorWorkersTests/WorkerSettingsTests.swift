import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Testing

/// Settings from the environment (no broker or database needed).
@Suite("Worker settings")
struct WorkerSettingsTests {
    @Test func librdkafkaPassThroughsSkipTheStackScriptsPort() {
        let s = WorkerSettings(environment: [
            "FRONTDOOR_KAFKA_BROKERS": "a:1,b:2",
            // scripts/stack.sh's broker port, which it tells people to set: not a librdkafka property.
            "FRONTDOOR_KAFKA_PORT": "59093",
            "FRONTDOOR_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
        ])
        #expect(s.brokers == ["a:1", "b:2"])
        #expect(s.kafkaProperties == ["security.protocol": "sasl_ssl"])
    }

    @Test func topicNamesAndGroupsComeFromTheEnvironment() {
        let s = WorkerSettings(environment: [
            "FRONTDOOR_TOPIC_ATTENDANCE": "a.v1", "FRONTDOOR_TOPIC_EARLY_HELP": "eh.{unit}.v1",
            "FRONTDOOR_GROUP_PREFIX": "p", "FRONTDOOR_SESSION_TIMEOUT_MS": "6000", "FRONTDOOR_TODAY": "2026-10-20",
        ])
        #expect(s.topics.attendance == "a.v1")
        #expect(s.topics.dlq(of: s.topics.attendance) == "a.v1.dlq")
        #expect(s.topics.earlyHelp(unit: "county-duty") == "eh.county-duty.v1")
        #expect(s.group("attendance") == "p-attendance")
        #expect(s.sessionTimeout == .milliseconds(6000))
        #expect(s.today == "2026-10-20")
    }

    /// Batches of 500 messages by default (a late-year batch of 5,000 outlives the session limits
    /// while the rules replay each pupil's year), unless FRONTDOOR_BATCH_SIZE says otherwise.
    @Test func batchSizeDefaultsTo500AndComesFromTheEnvironment() {
        #expect(WorkerSettings(environment: [:]).batchSize == 500)
        #expect(WorkerSettings(environment: ["FRONTDOOR_BATCH_SIZE": "5000"]).batchSize == 5_000)
        #expect(WorkerSettings(environment: ["FRONTDOOR_BATCH_SIZE": "0"]).batchSize == 500)
    }

    /// A batch is bounded in bytes too: 16 MiB unless FRONTDOOR_BATCH_BYTES says otherwise.
    @Test func batchBytesDefaultsTo16MiBAndComesFromTheEnvironment() {
        #expect(WorkerSettings(environment: [:]).batchBytes == 16 * 1024 * 1024)
        #expect(WorkerSettings(environment: ["FRONTDOOR_BATCH_BYTES": "1048576"]).batchBytes == 1_048_576)
        #expect(WorkerSettings(environment: ["FRONTDOOR_BATCH_BYTES": "0"]).batchBytes == 16 * 1024 * 1024)
        #expect(WorkerSettings.environmentVariables.contains("FRONTDOOR_BATCH_BYTES"))
    }

    /// The metrics and health listener: 127.0.0.1:9464 unless FRONTDOOR_HTTP_HOST/PORT say
    /// otherwise; port 0 turns it off; an impossible port keeps the default.
    @Test func theHTTPListenerComesFromTheEnvironment() {
        let defaults = WorkerSettings(environment: [:])
        #expect(defaults.httpHost == "127.0.0.1" && defaults.httpPort == 9464)
        let set = WorkerSettings(environment: ["FRONTDOOR_HTTP_HOST": "0.0.0.0", "FRONTDOOR_HTTP_PORT": "9465"])
        #expect(set.httpHost == "0.0.0.0" && set.httpPort == 9465)
        #expect(WorkerSettings(environment: ["FRONTDOOR_HTTP_PORT": "0"]).httpPort == 0)
        #expect(WorkerSettings(environment: ["FRONTDOOR_HTTP_PORT": "70000"]).httpPort == 9464)
        #expect(WorkerSettings.environmentVariables.isSuperset(of: ["FRONTDOOR_HTTP_HOST", "FRONTDOOR_HTTP_PORT"]))
        // Three batch waits plus the 10 s a seek may take.
        #expect(WorkerSettings(environment: ["FRONTDOOR_BATCH_WAIT_MS": "200"]).livenessDeadline == .milliseconds(10_600))
    }
}

/// Secured connections: the same settings for every client (no broker or database needed).
@Suite("Worker settings: secured connections")
struct SecuredSettingsTests {
    @Test func theAdminClientGetsTheSamePassThroughsAsTheWorkers() {
        let s = WorkerSettings(environment: [
            "FRONTDOOR_KAFKA_SECURITY_PROTOCOL": "sasl_ssl", "FRONTDOOR_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        ])
        let admin = s.adminConfiguration()
        #expect(admin.additionalProperties == s.producerConfiguration(clientID: "x").additionalProperties)
        #expect(admin.additionalProperties["sasl.mechanism"] == "SCRAM-SHA-512")
    }

    @Test func theRootCertificateComesFromTheURLOrTheEnvironment() throws {
        let url = "postgres://u:p@db.internal:5432/fd?sslmode=verify-full"
        let fromEnvironment = WorkerSettings(environment: ["FRONTDOOR_DATABASE_URL": url, "FRONTDOOR_DATABASE_SSLROOTCERT": "/etc/ca.crt"])
        // A root certificate that cannot be read is refused up front (the pool would only wait).
        #expect(throws: StoreError.self) { try fromEnvironment.databaseConfiguration() }
        let c = try DatabaseConfiguration(url: url).withRootCertificate("/etc/ca.crt")
        #expect(c.tls == .verifyFull)
        #expect(c.rootCertificate == "/etc/ca.crt")
        // The URL's own sslrootcert wins; `system` means the system's roots.
        let inURL = WorkerSettings(environment: [
            "FRONTDOOR_DATABASE_URL": url + "&sslrootcert=/url/ca.crt", "FRONTDOOR_DATABASE_SSLROOTCERT": "/etc/ca.crt",
        ])
        #expect(try DatabaseConfiguration(url: inURL.databaseURL).withRootCertificate("/etc/ca.crt").rootCertificate == "/url/ca.crt")
        let system = WorkerSettings(environment: [
            "FRONTDOOR_DATABASE_URL": url + "&sslrootcert=system", "FRONTDOOR_DATABASE_SSLROOTCERT": "/etc/ca.crt",
        ])
        #expect(try system.databaseConfiguration().rootCertificate == nil)
        // Messages name where, never the password.
        #expect(c.redactedTarget == "db.internal:5432/fd (sslmode=verify-full)")
    }
}
