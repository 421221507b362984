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

    /// A batch is bounded in bytes too: 16 MiB unless FRONTDOOR_BATCH_BYTES says otherwise.
    @Test func batchBytesDefaultsTo16MiBAndComesFromTheEnvironment() {
        #expect(WorkerSettings(environment: [:]).batchBytes == 16 * 1024 * 1024)
        #expect(WorkerSettings(environment: ["FRONTDOOR_BATCH_BYTES": "1048576"]).batchBytes == 1_048_576)
        #expect(WorkerSettings(environment: ["FRONTDOOR_BATCH_BYTES": "0"]).batchBytes == 16 * 1024 * 1024)
        #expect(WorkerSettings.environmentVariables.contains("FRONTDOOR_BATCH_BYTES"))
    }
}
