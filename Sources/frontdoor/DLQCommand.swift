import ArgumentParser
import Foundation
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Logging

/// `frontdoor dlq list|show|replay`: the dead-letter console for on-call engineers
/// (docs/operations.md, "Dead-letter queues").
struct DLQ: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "List, show and replay the rejects on the input topics' dead-letter queues.",
        discussion: """
            Reads <topic>.dlq from the beginning up to its end without joining a consumer group, with the \
            workers' settings (FRONTDOOR_KAFKA_BROKERS, FRONTDOOR_KAFKA_* properties, FRONTDOOR_TOPIC_*). \
            Output names rejects by DLQ position (<dlq>[partition]@offset), code, original position, time \
            and size; it never prints a key, a value (unless `show --value`) or a header that may hold \
            personal data (ce_subject, the sender's own headers). See docs/operations.md, "Dead-letter queues".

            Examples:
              frontdoor dlq list --topic decisions --code unknown-case --since 2026-12-01
              frontdoor dlq show --topic frontdoor.decisions.v1.dlq --partition 0 --offset 3
              frontdoor dlq replay --topic decisions --code unknown-case            (dry run)
              frontdoor dlq replay --topic decisions --code unknown-case --apply
            """,
        subcommands: [List.self, Show.self, Replay.self])

    /// The selection every subcommand shares.
    struct Selection: ParsableArguments {
        @Option(help: "An input topic, its .dlq, or attendance|exclusions|referrals|decisions|rolls (default: every input topic's DLQ).")
        var topic: String?
        @Option(help: "Only rejects with this frontdoor-error-code (e.g. unknown-case).")
        var code: String?
        @Option(help: "Only rejects dead-lettered at or after this time: 2026-12-01 (00:00 UTC), an RFC 3339 time, or an age such as 90m, 6h, 2d.")
        var since: String?
        @Option(help: "Only this DLQ partition.")
        var partition: Int32?
        @Option(parsing: .upToNextOption, help: "Only these DLQ offsets (with --partition when the DLQ has several partitions).")
        var offset: [Int64] = []
        @Option(help: "At most this many rejects, oldest first.")
        var limit: Int?

        func validate() throws {
            if let since, Self.date(since, now: Date()) == nil {
                throw ValidationError("--since must be a date (2026-12-01), an RFC 3339 time or an age (90m, 6h, 2d)")
            }
            if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
        }

        var filter: DeadLetterFilter {
            DeadLetterFilter(
                code: code, since: since.flatMap { Self.date($0, now: Date()) }, partition: partition, offsets: Set(offset),
                limit: limit)
        }

        /// `2026-12-01`, `2026-12-01T10:00:00Z` or an age (`90m`, `6h`, `2d`) before `now`.
        static func date(_ text: String, now: Date) -> Date? {
            if let unit = text.last, let n = Int(text.dropLast()), n >= 0 {
                switch unit {
                case "m": return now.addingTimeInterval(-Double(n) * 60)
                case "h": return now.addingTimeInterval(-Double(n) * 3600)
                case "d": return now.addingTimeInterval(-Double(n) * 86400)
                default: break
                }
            }
            let full = ISO8601DateFormatter()
            full.formatOptions = [.withInternetDateTime]
            if let d = full.date(from: text) { return d }
            full.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let d = full.date(from: text) { return d }
            let day = ISO8601DateFormatter()
            day.formatOptions = [.withFullDate]
            return day.date(from: text)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per reject: DLQ position, time, code, original position, size (or STUB) and the error sentence.")
        @OptionGroup var selection: Selection

        func run() async throws {
            let (console, topics) = try DLQ.console(selection)
            let (letters, more) = try await console.fetch(topics, filter: selection.filter)
            DLQ.write(DeadLetterConsole.listText(letters, more: more))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print one reject's headers (values of frontdoor's and the CloudEvents id headers only), and its value with --value.",
            discussion: "Select exactly one reject, e.g. --topic frontdoor.decisions.v1.dlq --partition 0 --offset 3.")
        @OptionGroup var selection: Selection
        @Flag(help: "Also print the value. It may hold personal data: use it only where that is allowed.")
        var value = false

        func run() async throws {
            let (console, topics) = try DLQ.console(selection)
            let (letters, more) = try await console.fetch(topics, filter: selection.filter)
            guard letters.count == 1, more == 0 else {
                throw ValidationError(
                    "\(letters.count + more) rejects match; select one with --topic, --partition and --offset (see `frontdoor dlq list`)")
            }
            DLQ.write(DeadLetterConsole.showText(letters[0], value: value))
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send the selected rejects back to their original topic (dry run unless --apply).",
            discussion: """
                Each reject goes to the input topic whose DLQ holds it, with its original key, value and headers \
                (without the frontdoor-error and frontdoor-original-* headers, with frontdoor-replayed-from). Events \
                are processed once per (source, id), so replaying an event already processed changes nothing, and \
                one still wrong is dead-lettered again. A stub (an original too large for the DLQ) has no value and is \
                never replayed: resend it from its source. Every --apply run is recorded in audit_log \
                (rule dlq-replay, FRONTDOOR_DATABASE_URL) with the rejects' DLQ positions and codes.
                """)
        @OptionGroup var selection: Selection
        @Flag(help: "Send (without it, only print what would be sent).")
        var apply = false

        func run() async throws {
            let (console, topics) = try DLQ.console(selection)
            let filter = selection.filter
            let (letters, more) = try await console.fetch(topics, filter: filter)
            guard apply else {
                let result = try await console.replay(letters, dlqTopics: topics, filter: filter, producer: nil, database: nil)
                DLQ.write(result.text + (more > 0 ? "\(more) more match beyond --limit\n" : ""))
                return
            }
            let producer = try KafkaProducer(configuration: console.settings.producerConfiguration(clientID: "frontdoor-dlq-replay"))
            let database = FrontDoorDatabase(
                configuration: try console.settings.databaseConfiguration(), logger: DLQ.quietLogger("frontdoor.dlq.store", .error))
            let result = try await withThrowingTaskGroup(of: DeadLetterConsole.ReplayResult?.self) { group in
                group.addTask {
                    await database.run()
                    return nil
                }
                defer { group.cancelAll() }
                return try await console.replay(letters, dlqTopics: topics, filter: filter, producer: producer, database: database)
            }
            await producer.close()
            DLQ.write(result.text + (more > 0 ? "\(more) more match beyond --limit; run again to replay them\n" : ""))
            if result.failed > 0 { throw ExitCode(1) }
        }
    }

    static func console(_ selection: Selection) throws -> (DeadLetterConsole, [String]) {
        try LibrdkafkaVersion.requireSupported()
        let console = try DeadLetterConsole(settings: WorkerSettings(), logger: quietLogger("frontdoor.dlq"))
        do {
            return (console, try console.dlqTopics(for: selection.topic))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Notices and above (the replay's log line): the console's own output is what the engineer reads.
    static func quietLogger(_ label: String, _ level: Logger.Level = .notice) -> Logger {
        LogSetup.logger(label, atLeast: level)
    }

    static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
