import ArgumentParser
import FrontDoorMessaging

@main
struct FrontDoorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontdoor",
        abstract: "Keeps children in school: consumes MIS and Digital Front Door events, applies the rules, notifies Early Help.",
        subcommands: [
            Worker.self, Migrate.self, Topics.self, DLQ.self, Simulate.self, Watch.self, Report.self, Bench.self, Version.self,
            Purge.self, Export.self, AuditTrail.self, GatewayCommand.self, Clients.self,
        ]
    )
}

struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version of the loaded librdkafka.")
    func run() async throws {
        print("librdkafka \(LibrdkafkaVersion.loadedString)")
        try LibrdkafkaVersion.requireSupported()
    }
}
