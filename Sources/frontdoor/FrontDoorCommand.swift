import ArgumentParser
import FrontDoorMessaging

@main
struct FrontDoorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frontdoor",
        abstract: "Keeps children in school: consumes MIS and Digital Front Door events, applies the rules, notifies Early Help.",
        subcommands: [
            Worker.self, Migrate.self, Topics.self, DLQ.self, Simulate.self, Watch.self, Report.self, Bench.self, Version.self,
            Purge.self, Export.self, AuditTrail.self, Verify.self, GatewayCommand.self, Clients.self,
        ]
    )

    /// Bootstraps logging (``LogSetup``: `FRONTDOOR_LOG_LEVEL`, `FRONTDOOR_LOG_FORMAT`, standard
    /// error) before any command is parsed or makes its first logger, so every command, not only
    /// the workers, logs the same JSON lines; then parses and runs the command.
    static func main() async {
        LogSetup.bootstrap()
        await Self.main(nil)
    }
}

struct Version: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the version of the loaded librdkafka.")
    func run() async throws {
        print("librdkafka \(LibrdkafkaVersion.loadedString)")
        try LibrdkafkaVersion.requireSupported()
    }
}
