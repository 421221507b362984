import ArgumentParser
import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorWorkers
import Synchronization
import UnixSignals

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print Early Help notifications and enforcement reviews as they arrive, until Ctrl-C.",
        discussion: """
            Pupils are shown by a pseudonym (HMAC-SHA256 of the UPN under FRONTDOOR_PSEUDONYM_KEY, which must be set),
            never by name or UPN.
            """)

    @Flag(help: "Start from the beginning of the topics instead of now.") var fromBeginning = false

    func run() async throws {
        try LibrdkafkaVersion.requireSupported()
        let settings = WorkerSettings()
        try settings.requirePseudonymKey()
        let config = try ConfigLoader(directory: settings.configDirectory).load()
        let topics = config.units.unitIds.map { settings.topics.earlyHelp(unit: $0) } + [settings.topics.enforcement]
        var consumerConfig = settings.consumerConfiguration(group: "frontdoor-watch-\(UInt32.random(in: 0...UInt32.max))")
        consumerConfig.autoOffsetReset = fromBeginning ? .earliest : .latest
        let consumer = try KafkaConsumer(configuration: consumerConfig)
        try consumer.subscribe(topics: topics)
        FileHandle.standardOutput.write(
            Data(("watching \(topics.count) topics (\(config.units.unitIds.count) Early Help Units and enforcement); Ctrl-C to stop\n").utf8))
        let stop = StopFlag()
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let watcher = Task {
            for await _ in signals {
                stop.set()
                break
            }
        }
        defer { watcher.cancel() }
        var count = 0
        while !stop.isSet {
            let batch = try await consumer.poll(maxMessages: 500, timeout: .milliseconds(250))
            for m in batch {
                // Unbuffered, so a pipe (make run, tests) sees each line as it arrives.
                let line = NotificationLine.format(topic: m.topic, value: m.value, pseudonyms: settings.pseudonyms)
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
                count += 1
            }
        }
        try await consumer.close()
        print("\(count) notifications shown")
    }
}

/// Set once by a signal handler task, read by the poll loop.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
