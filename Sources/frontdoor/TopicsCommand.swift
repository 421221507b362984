import ArgumentParser
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorWorkers

struct Topics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage frontdoor's Kafka topics.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create every topic: inputs and their .dlq, enforcement, and one early-help topic per unit.",
            discussion: "Topics that already exist are left as they are. Names come from FRONTDOOR_TOPIC_* (see docs/operations.md).")

        @Option(help: "Partitions of each input topic (the most replicas a worker can usefully run).")
        var partitions = 6
        @Option(help: "Partitions of each .dlq, enforcement and early-help topic.")
        var outputPartitions = 3
        @Option(help: "Replication factor (-1: the broker's default).")
        var replicationFactor = -1

        func run() async throws {
            try LibrdkafkaVersion.requireSupported()
            let settings = WorkerSettings()
            let config = try ConfigLoader(directory: settings.configDirectory).load()
            // The same FRONTDOOR_KAFKA_<PROPERTY> pass-throughs (TLS, SASL/SCRAM) as the workers:
            // with bare bootstrap servers this could not reach a secured cluster.
            let admin = try KafkaAdmin(configuration: settings.adminConfiguration(clientID: "frontdoor-topics"))
            let plan = TopicPlan(
                topics: settings.topics, unitIds: config.units.unitIds,
                inputPartitions: partitions, outputPartitions: outputPartitions)
            do {
                for (name, n) in plan.all {
                    try await admin.createTopic(name, partitions: Int32(n), replicationFactor: Int32(replicationFactor))
                }
            } catch {
                // A secured cluster drops a client that does not authenticate: all it sees is a
                // timeout, so say what to check (the properties' values are never printed).
                let secured = settings.kafkaProperties["security.protocol"].map { "security.protocol=\($0)" } ?? "no security.protocol"
                throw ValidationError(
                    "topics create failed on \(settings.brokers.joined(separator: ",")) (\(secured)): \(error). "
                        + "If the cluster requires TLS or SASL authentication, set FRONTDOOR_KAFKA_SECURITY_PROTOCOL, "
                        + "FRONTDOOR_KAFKA_SASL_MECHANISM, FRONTDOOR_KAFKA_SASL_USERNAME and FRONTDOOR_KAFKA_SASL_PASSWORD "
                        + "(see docs/operations.md, Secured connections).")
            }
            print("topics ready: \(plan.all.count) (\(plan.inputs.count) inputs with \(partitions) partitions each)")
        }
    }
}
