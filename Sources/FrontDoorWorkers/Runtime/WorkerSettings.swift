import Foundation
import FrontDoorMessaging
import FrontDoorStore

/// Runtime settings of one worker process, read from environment variables with documented
/// defaults so the same binary runs against any broker and database.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `FRONTDOOR_KAFKA_BROKERS` | `127.0.0.1:59092` | comma-separated bootstrap servers |
/// | `FRONTDOOR_DATABASE_URL` | `postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor` | PostgreSQL URL (`?sslmode=verify-full&sslrootcert=<path>` for TLS) |
/// | `FRONTDOOR_DATABASE_SSLROOTCERT` | the system's roots | PEM file of the CAs PostgreSQL's certificate must chain to, unless the URL names `sslrootcert` |
/// | `FRONTDOOR_CONFIG_DIR` | `./Config` | schools, districts, calendar, rules |
/// | `FRONTDOOR_BATCH_SIZE` | `500` | most messages per batch (one transaction) |
/// | `FRONTDOOR_BATCH_BYTES` | `16777216` (16 MiB) | most bytes per batch (keys, values, headers), plus one message |
/// | `FRONTDOOR_BATCH_WAIT_MS` | `200` | longest wait to fill a batch |
/// | `FRONTDOOR_SESSION_TIMEOUT_MS` | `10000` | consumer-group session timeout |
/// | `FRONTDOOR_GROUP_PREFIX` | `frontdoor` | consumer groups are `<prefix>-<worker>` |
/// | `FRONTDOOR_TOPIC_ATTENDANCE` … | see ``TopicNames`` | topic names |
/// | `FRONTDOOR_KAFKA_<PROPERTY>` | — | any librdkafka property, e.g. `FRONTDOOR_KAFKA_SECURITY_PROTOCOL=sasl_ssl` → `security.protocol` |
/// | `FRONTDOOR_LOG_LEVEL` | `info` | trace, debug, info, notice, warning, error |
/// | `FRONTDOOR_LOG_FORMAT` | `json`, or `text` on a terminal | `json`: one JSON object per line (timestamp, level, label, message, metadata); `text`: swift-log's lines |
/// | `FRONTDOOR_PSEUDONYM_KEY` | — (required; `make run` sets a throw-away one) | secret of the UPN pseudonyms: at least 64 hex digits (32 bytes), see ``Pseudonymiser`` |
/// | `FRONTDOOR_TODAY` | the date in London | the day the CME clock counts to (tests, replays) |
/// | `FRONTDOOR_HTTP_HOST` | `127.0.0.1` | address of the worker's metrics and health listener (`0.0.0.0` in a container) |
/// | `FRONTDOOR_HTTP_PORT` | `9464` | its port: `/metrics`, `/health/live`, `/health/ready` (`0`: no listener) |
/// | `FRONTDOOR_GATEWAY_*` | see `GatewaySettings` | `frontdoor gateway`: host, port, TLS certificate and key, size limits, rate, publish timeout |
public struct WorkerSettings: Sendable {
    public var brokers: [String] = ["127.0.0.1:59092"]
    public var databaseURL = "postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor"
    /// `FRONTDOOR_DATABASE_SSLROOTCERT`: the CA file for PostgreSQL's TLS when the URL names none.
    public var databaseRootCertificate: String?
    public var configDirectory = URL(fileURLWithPath: "Config")
    /// 500 while the attendance worker replays each touched pupil's year: `frontdoor bench
    /// attendance` measured 7,800 marks/s at 500, 9,500 at 2,000 and 11,500 at 5,000 on an empty
    /// database (each batch pays about twenty round trips and a commit), but onto 150 school days
    /// of history a 5,000-mark batch replays 1.5 million marks: its first batch took 110 s and
    /// the worker 490 MiB (one run on the shared machine), with the transaction idle while the
    /// rules run, against `idle_in_transaction_session_timeout` (60 s). Raise it once the rules
    /// are a fold over stored state (issue 10 item 1).
    public var batchSize = 500
    /// Bounds a batch's memory: 500 messages of 1 MB would otherwise hold half a gigabyte.
    public var batchBytes = 16 * 1024 * 1024
    public var batchWait: Duration = .milliseconds(200)
    public var sessionTimeout: Duration = .seconds(10)
    public var groupPrefix = "frontdoor"
    public var topics = TopicNames()
    /// librdkafka properties passed through to every client (TLS, SASL/SCRAM, …).
    public var kafkaProperties: [String: String] = [:]
    /// First and longest wait between retries while the database is unavailable.
    public var retryInitial: Duration = .milliseconds(200)
    public var retryMaximum: Duration = .seconds(5)
    /// How often the referral worker's scheduler looks for overdue CME cases.
    public var schedulerInterval: Duration = .seconds(5)
    /// How often the relay looks for unsent notifications when idle.
    public var relayInterval: Duration = .milliseconds(200)
    /// How long a relay owns the rows it claimed (longer than the producer's 30 s message
    /// timeout): a relay that dies leaves them to another after this.
    public var relayLease: Duration = .seconds(90)
    /// First wait before a notification whose send failed is tried again; it doubles per failure
    /// up to ``relayRetryMaximum``.
    public var relayRetryInitial: Duration = .seconds(1)
    public var relayRetryMaximum: Duration = .seconds(300)
    /// Overrides "today" for the CME clock.
    public var today: String?
    /// Where ``HealthServer`` listens (`FRONTDOOR_HTTP_HOST`, `FRONTDOOR_HTTP_PORT`); port 0: it does not.
    public var httpHost = "127.0.0.1"
    public var httpPort = 9464
    /// Pseudonyms of UPNs under `FRONTDOOR_PSEUDONYM_KEY`; under a random key of this process
    /// when the key is unset or unusable (``pseudonymKeyProblem``), which commands refuse
    /// through ``requirePseudonymKey()``.
    public var pseudonyms: Pseudonymiser
    /// Why `FRONTDOOR_PSEUDONYM_KEY` cannot be used, if it cannot.
    public var pseudonymKeyProblem: Pseudonymiser.KeyError?

    /// Reads the settings from an environment (default: the process's); unset variables keep
    /// the defaults above.
    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        do throws(Pseudonymiser.KeyError) {
            pseudonyms = try Pseudonymiser(environment: env)
            pseudonymKeyProblem = nil
        } catch {
            pseudonyms = .ephemeral()
            pseudonymKeyProblem = error
        }
        if let v = env["FRONTDOOR_KAFKA_BROKERS"], !v.isEmpty {
            brokers = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        if let v = env["FRONTDOOR_DATABASE_URL"], !v.isEmpty { databaseURL = v }
        if let v = env["FRONTDOOR_DATABASE_SSLROOTCERT"], !v.isEmpty { databaseRootCertificate = v }
        if let v = env["FRONTDOOR_CONFIG_DIR"], !v.isEmpty { configDirectory = URL(fileURLWithPath: v) }
        if let v = env["FRONTDOOR_BATCH_SIZE"].flatMap(Int.init), v > 0 { batchSize = v }
        if let v = env["FRONTDOOR_BATCH_BYTES"].flatMap(Int.init), v > 0 { batchBytes = v }
        if let v = env["FRONTDOOR_BATCH_WAIT_MS"].flatMap(Int.init), v >= 0 { batchWait = .milliseconds(v) }
        if let v = env["FRONTDOOR_SESSION_TIMEOUT_MS"].flatMap(Int.init), v > 0 { sessionTimeout = .milliseconds(v) }
        if let v = env["FRONTDOOR_GROUP_PREFIX"], !v.isEmpty { groupPrefix = v }
        if let v = env["FRONTDOOR_SCHEDULER_INTERVAL_MS"].flatMap(Int.init), v > 0 { schedulerInterval = .milliseconds(v) }
        if let v = env["FRONTDOOR_TODAY"], !v.isEmpty { today = v }
        if let v = env["FRONTDOOR_HTTP_HOST"], !v.isEmpty { httpHost = v }
        if let v = env["FRONTDOOR_HTTP_PORT"].flatMap(Int.init), (0...65535).contains(v) { httpPort = v }
        topics = TopicNames(environment: env)
        // FRONTDOOR_KAFKA_PORT is scripts/stack.sh's broker port (it tells people to set it), not
        // a librdkafka property: passed through as `port` it stopped every worker from starting.
        let reserved: Set<String> = ["FRONTDOOR_KAFKA_BROKERS", "FRONTDOOR_KAFKA_PORT"]
        for (key, value) in env where key.hasPrefix("FRONTDOOR_KAFKA_") && !reserved.contains(key) {
            let property = key.dropFirst("FRONTDOOR_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            kafkaProperties[property] = value
        }
    }

    /// Throws unless `FRONTDOOR_PSEUDONYM_KEY` held a usable key: a worker or `watch` refuses to
    /// start without one, so that pseudonyms are stable and keyed by the deployment's secret.
    public func requirePseudonymKey() throws(Pseudonymiser.KeyError) {
        if let pseudonymKeyProblem { throw pseudonymKeyProblem }
    }

    /// How long a worker process's graceful shutdown may take before its services are cancelled:
    /// below the deployment's grace period (Compose `stop_grace_period: 30s`, Kubernetes
    /// `terminationGracePeriodSeconds: 40`), so the process exits by itself before SIGKILL.
    public static let maximumGracefulShutdownDuration: Duration = .seconds(25)

    /// Every environment variable the settings read (besides `FRONTDOOR_KAFKA_<PROPERTY>`
    /// pass-throughs), so deployment files can be checked against it.
    public static let environmentVariables: Set<String> = [
        "FRONTDOOR_KAFKA_BROKERS", "FRONTDOOR_DATABASE_URL", "FRONTDOOR_DATABASE_SSLROOTCERT", "FRONTDOOR_CONFIG_DIR",
        "FRONTDOOR_BATCH_SIZE", "FRONTDOOR_BATCH_BYTES", "FRONTDOOR_BATCH_WAIT_MS", "FRONTDOOR_SESSION_TIMEOUT_MS",
        "FRONTDOOR_GROUP_PREFIX", "FRONTDOOR_SCHEDULER_INTERVAL_MS", "FRONTDOOR_TODAY", "FRONTDOOR_LOG_LEVEL", "FRONTDOOR_LOG_FORMAT",
        "FRONTDOOR_PSEUDONYM_KEY", "FRONTDOOR_TOPIC_ATTENDANCE", "FRONTDOOR_TOPIC_EXCLUSIONS",
        "FRONTDOOR_TOPIC_REFERRALS", "FRONTDOOR_TOPIC_DECISIONS", "FRONTDOOR_TOPIC_ENFORCEMENT", "FRONTDOOR_TOPIC_EARLY_HELP",
        "FRONTDOOR_TOPIC_ROLLS", "FRONTDOOR_HTTP_HOST", "FRONTDOOR_HTTP_PORT",
        // `frontdoor gateway` (FrontDoorGateway's GatewaySettings; a test keeps the two lists equal).
        "FRONTDOOR_GATEWAY_HOST", "FRONTDOOR_GATEWAY_PORT", "FRONTDOOR_GATEWAY_TLS_CERT", "FRONTDOOR_GATEWAY_TLS_KEY",
        "FRONTDOOR_GATEWAY_MAX_BODY_BYTES", "FRONTDOOR_GATEWAY_MAX_EVENTS", "FRONTDOOR_GATEWAY_RATE", "FRONTDOOR_GATEWAY_BURST",
        "FRONTDOOR_GATEWAY_PUBLISH_TIMEOUT_MS",
    ]

    /// How long a consumer worker's poll loop may go without a turn before `/health/live`
    /// answers 503: three batch waits plus 10 s, the longest a seek waits for the broker (the loop
    /// otherwise polls at least every batch wait, also while it waits for the database).
    public var livenessDeadline: Duration { batchWait * 3 + .seconds(10) }

    /// The same for the relay's claim loop: three relay intervals plus 90 s, since a claim waits
    /// out the pool's circuit breaker (about 60 s) and a connect timeout while PostgreSQL is down.
    public var relayLivenessDeadline: Duration { relayInterval * 3 + .seconds(90) }

    /// The database configuration every command uses: `FRONTDOOR_DATABASE_URL` (TLS from its
    /// `sslmode` and `sslrootcert`) with `FRONTDOOR_DATABASE_SSLROOTCERT` applied.
    ///
    /// - Throws: `StoreError` (`invalidConfiguration`) for a malformed URL (the message never
    ///   repeats the URL) or a root certificate file that cannot be read.
    public func databaseConfiguration() throws(StoreError) -> DatabaseConfiguration {
        let configuration = try DatabaseConfiguration(url: databaseURL).withRootCertificate(databaseRootCertificate)
        try configuration.checkRootCertificate()
        return configuration
    }

    /// Admin client configuration (`frontdoor topics create`, `bench`) with the same
    /// `FRONTDOOR_KAFKA_<PROPERTY>` pass-throughs (TLS, SASL/SCRAM) as the workers' clients.
    public func adminConfiguration(clientID: String = "frontdoor-admin") -> KafkaAdminConfiguration {
        var c = KafkaAdminConfiguration(bootstrapServers: brokers)
        c.clientID = clientID
        c.additionalProperties = kafkaProperties
        return c
    }

    /// The consumer group of a worker kind.
    public func group(_ worker: String) -> String { "\(groupPrefix)-\(worker)" }

    /// Consumer configuration for a worker's group.
    public func consumerConfiguration(group: String) -> KafkaConsumerConfiguration {
        var c = KafkaConsumerConfiguration(bootstrapServers: brokers, groupID: group)
        c.clientID = group
        c.sessionTimeout = sessionTimeout
        c.heartbeatInterval = .milliseconds(max(500, Int(sessionTimeout.components.seconds * 1000) / 5))
        c.statisticsInterval = .seconds(30)
        c.additionalProperties = kafkaProperties
        return c
    }

    /// Idempotent producer configuration (relay and dead-letter queues).
    public func producerConfiguration(clientID: String) -> KafkaProducerConfiguration {
        var c = KafkaProducerConfiguration(bootstrapServers: brokers)
        c.clientID = clientID
        c.messageTimeout = .seconds(30)
        c.additionalProperties = kafkaProperties
        return c
    }
}

/// Topic names: configuration with the defaults of events.md.
public struct TopicNames: Sendable, Hashable {
    public var attendance = "frontdoor.attendance.v1"
    public var exclusions = "frontdoor.exclusions.v1"
    public var referrals = "frontdoor.referrals.v1"
    public var decisions = "frontdoor.decisions.v1"
    /// `roll.change.v1` (admissions and deletions), consumed by the attendance worker.
    public var rolls = "frontdoor.rolls.v1"
    public var enforcement = "frontdoor.enforcement.v1"
    /// `frontdoor.early-help.<unitId>.v1`; `{unit}` is replaced by the unit id.
    public var earlyHelpPattern = "frontdoor.early-help.{unit}.v1"
    public var dlqSuffix = ".dlq"

    public init() {}

    public init(environment env: [String: String]) {
        if let v = env["FRONTDOOR_TOPIC_ATTENDANCE"], !v.isEmpty { attendance = v }
        if let v = env["FRONTDOOR_TOPIC_EXCLUSIONS"], !v.isEmpty { exclusions = v }
        if let v = env["FRONTDOOR_TOPIC_REFERRALS"], !v.isEmpty { referrals = v }
        if let v = env["FRONTDOOR_TOPIC_DECISIONS"], !v.isEmpty { decisions = v }
        if let v = env["FRONTDOOR_TOPIC_ROLLS"], !v.isEmpty { rolls = v }
        if let v = env["FRONTDOOR_TOPIC_ENFORCEMENT"], !v.isEmpty { enforcement = v }
        if let v = env["FRONTDOOR_TOPIC_EARLY_HELP"], !v.isEmpty { earlyHelpPattern = v }
    }

    public func earlyHelp(unit: String) -> String { earlyHelpPattern.replacingOccurrences(of: "{unit}", with: unit) }
    public func dlq(of topic: String) -> String { topic + dlqSuffix }
    public var inputs: [String] { [attendance, exclusions, referrals, decisions, rolls] }
}
