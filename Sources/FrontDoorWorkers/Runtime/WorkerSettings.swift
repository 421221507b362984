import FrontDoorMessaging
import Foundation

/// Runtime settings of one worker process, read from environment variables with documented
/// defaults so the same binary runs against any broker and database.
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `FRONTDOOR_KAFKA_BROKERS` | `127.0.0.1:59092` | comma-separated bootstrap servers |
/// | `FRONTDOOR_DATABASE_URL` | `postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor` | PostgreSQL URL |
/// | `FRONTDOOR_CONFIG_DIR` | `./Config` | schools, districts, calendar, rules |
/// | `FRONTDOOR_BATCH_SIZE` | `500` | most messages per batch (one transaction) |
/// | `FRONTDOOR_BATCH_WAIT_MS` | `200` | longest wait to fill a batch |
/// | `FRONTDOOR_SESSION_TIMEOUT_MS` | `10000` | consumer-group session timeout |
/// | `FRONTDOOR_GROUP_PREFIX` | `frontdoor` | consumer groups are `<prefix>-<worker>` |
/// | `FRONTDOOR_TOPIC_ATTENDANCE` … | see ``TopicNames`` | topic names |
/// | `FRONTDOOR_KAFKA_<PROPERTY>` | — | any librdkafka property, e.g. `FRONTDOOR_KAFKA_SECURITY_PROTOCOL=sasl_ssl` → `security.protocol` |
/// | `FRONTDOOR_LOG_LEVEL` | `info` | trace, debug, info, notice, warning, error |
/// | `FRONTDOOR_TODAY` | the date in London | the day the CME clock counts to (tests, replays) |
public struct WorkerSettings: Sendable {
    public var brokers: [String] = ["127.0.0.1:59092"]
    public var databaseURL = "postgres://frontdoor:frontdoor@127.0.0.1:55432/frontdoor"
    public var configDirectory = URL(fileURLWithPath: "Config")
    public var batchSize = 500
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
    /// Overrides "today" for the CME clock.
    public var today: String?

    /// Reads the settings from an environment (default: the process's); unset variables keep
    /// the defaults above.
    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        if let v = env["FRONTDOOR_KAFKA_BROKERS"], !v.isEmpty {
            brokers = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        }
        if let v = env["FRONTDOOR_DATABASE_URL"], !v.isEmpty { databaseURL = v }
        if let v = env["FRONTDOOR_CONFIG_DIR"], !v.isEmpty { configDirectory = URL(fileURLWithPath: v) }
        if let v = env["FRONTDOOR_BATCH_SIZE"].flatMap(Int.init), v > 0 { batchSize = v }
        if let v = env["FRONTDOOR_BATCH_WAIT_MS"].flatMap(Int.init), v >= 0 { batchWait = .milliseconds(v) }
        if let v = env["FRONTDOOR_SESSION_TIMEOUT_MS"].flatMap(Int.init), v > 0 { sessionTimeout = .milliseconds(v) }
        if let v = env["FRONTDOOR_GROUP_PREFIX"], !v.isEmpty { groupPrefix = v }
        if let v = env["FRONTDOOR_SCHEDULER_INTERVAL_MS"].flatMap(Int.init), v > 0 { schedulerInterval = .milliseconds(v) }
        if let v = env["FRONTDOOR_TODAY"], !v.isEmpty { today = v }
        topics = TopicNames(environment: env)
        // FRONTDOOR_KAFKA_PORT is scripts/stack.sh's broker port (it tells people to set it), not
        // a librdkafka property: passed through as `port` it stopped every worker from starting.
        let reserved: Set<String> = ["FRONTDOOR_KAFKA_BROKERS", "FRONTDOOR_KAFKA_PORT"]
        for (key, value) in env where key.hasPrefix("FRONTDOOR_KAFKA_") && !reserved.contains(key) {
            let property = key.dropFirst("FRONTDOOR_KAFKA_".count).lowercased().replacingOccurrences(of: "_", with: ".")
            kafkaProperties[property] = value
        }
    }

    /// Every environment variable the settings read (besides `FRONTDOOR_KAFKA_<PROPERTY>`
    /// pass-throughs), so deployment files can be checked against it.
    public static let environmentVariables: Set<String> = [
        "FRONTDOOR_KAFKA_BROKERS", "FRONTDOOR_DATABASE_URL", "FRONTDOOR_CONFIG_DIR", "FRONTDOOR_BATCH_SIZE",
        "FRONTDOOR_BATCH_WAIT_MS", "FRONTDOOR_SESSION_TIMEOUT_MS", "FRONTDOOR_GROUP_PREFIX", "FRONTDOOR_SCHEDULER_INTERVAL_MS",
        "FRONTDOOR_TODAY", "FRONTDOOR_LOG_LEVEL", "FRONTDOOR_TOPIC_ATTENDANCE", "FRONTDOOR_TOPIC_EXCLUSIONS",
        "FRONTDOOR_TOPIC_REFERRALS", "FRONTDOOR_TOPIC_DECISIONS", "FRONTDOOR_TOPIC_ENFORCEMENT", "FRONTDOOR_TOPIC_EARLY_HELP",
        "FRONTDOOR_TOPIC_ROLLS",
    ]

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
