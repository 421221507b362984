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
            LogSetup.bootstrap()
            try LibrdkafkaVersion.requireSupported()
            let settings = WorkerSettings()
            let config = try ConfigLoader(directory: settings.configDirectory).load()
            let admin = try KafkaAdmin(configuration: KafkaAdminConfiguration(bootstrapServers: settings.brokers))
            let plan = TopicPlan(topics: settings.topics, unitIds: config.units.unitIds,
                                 inputPartitions: partitions, outputPartitions: outputPartitions)
            for (name, n) in plan.all {
                try await admin.createTopic(name, partitions: Int32(n), replicationFactor: Int32(replicationFactor))
            }
            print("topics ready: \(plan.all.count) (\(plan.inputs.count) inputs with \(partitions) partitions each)")
        }
    }
}
