import Foundation
import FrontDoorMessaging
import FrontDoorStore
import Logging

/// One reject read from a dead-letter queue: where it is, why it was rejected and where it came
/// from. Its key, value and other headers stay inside: the console prints only ``summary`` and
/// ``safeHeaders``, and the value only when asked (`dlq show --value`).
public struct DeadLetter: Sendable, Hashable {
    /// The reject as the DLQ holds it.
    public let message: KafkaConsumerMessage

    public init(_ message: KafkaConsumerMessage) { self.message = message }

    /// `<dlq>[partition]@offset`.
    public var position: KafkaTopicPartitionOffset {
        KafkaTopicPartitionOffset(topic: message.topic, partition: message.partition, offset: message.offset)
    }
    /// The `frontdoor-error-code` header (a ``FrontDoorDomain/RejectCode`` raw value).
    public var code: String { header("frontdoor-error-code") ?? "-" }
    /// The `frontdoor-error` sentence: it never repeats a value of the event (docs/contract.md).
    public var error: String { header("frontdoor-error") ?? "" }
    public var originalTopic: String? { header("frontdoor-original-topic") }
    public var originalPartition: Int32? { header("frontdoor-original-partition").flatMap { Int32($0) } }
    public var originalOffset: Int64? { header("frontdoor-original-offset").flatMap { Int64($0) } }
    /// A stub stands for an original the DLQ refused for its size: it has no value to replay.
    public var isStub: Bool { header("frontdoor-original-size") != nil }
    /// The original value's length: the bytes held, or `frontdoor-original-size` for a stub.
    public var size: Int { isStub ? (header("frontdoor-original-size").flatMap { Int($0) } ?? 0) : message.value.count }

    /// The first header named `key`, as UTF-8 text.
    func header(_ key: String) -> String? { message.header(key).map { String(decoding: $0, as: UTF8.self) } }

    /// Header names whose values carry no personal data: frontdoor's own and the CloudEvents
    /// attributes that identify an event. `ce_subject` (a UPN) and every other header (the
    /// sender's own) are shown by name and size only.
    static let safeHeaderNames: Set<String> = [
        "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_datacontenttype", "ce_dataschema", "content-type",
    ]

    static func isSafe(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("frontdoor-") || safeHeaderNames.contains(lower)
    }

    /// Every header as `name: value`, or `name: (n bytes, not shown)` for one that may hold personal data.
    public var safeHeaders: [String] {
        message.headers.map { h in
            guard Self.isSafe(h.key) else { return "\(h.key): (\(h.value?.count ?? 0) bytes, not shown)" }
            return "\(h.key): \(h.value.map { String(decoding: $0, as: UTF8.self) } ?? "(null)")"
        }
    }

    /// One line: position, time, code, origin, size (or stub) and the error sentence.
    public var summary: String {
        let time = message.timestamp.map { DeadLetterConsole.timeText($0) } ?? "-"
        let origin = "\(originalTopic ?? "?")[\(originalPartition.map(String.init) ?? "?")]@\(originalOffset.map(String.init) ?? "?")"
        let form = isStub ? "STUB (original \(size) B, sha256 \(header("frontdoor-original-sha256")?.prefix(12) ?? "?")…)" : "\(size) B"
        return "\(position)  \(time)  \(code)  from \(origin)  \(form)  \(error)"
    }
}

/// What to select on the dead-letter queues.
public struct DeadLetterFilter: Sendable, Hashable {
    /// Only rejects with this `frontdoor-error-code`.
    public var code: String?
    /// Only rejects written to the DLQ at or after this time.
    public var since: Date?
    /// Only this DLQ partition.
    public var partition: Int32?
    /// Only these DLQ offsets (of ``partition``, or of every partition when it is `nil`).
    public var offsets: Set<Int64> = []
    /// At most this many rejects, oldest first per partition.
    public var limit: Int?

    public init(code: String? = nil, since: Date? = nil, partition: Int32? = nil, offsets: Set<Int64> = [], limit: Int? = nil) {
        self.code = code
        self.since = since
        self.partition = partition
        self.offsets = offsets
        self.limit = limit
    }

    func matches(_ letter: DeadLetter) -> Bool {
        if let code, letter.code != code { return false }
        if let since, (letter.message.timestamp ?? .distantPast) < since { return false }
        if let partition, letter.message.partition != partition { return false }
        if !offsets.isEmpty, !offsets.contains(letter.message.offset) { return false }
        return true
    }

    /// The filter as audit figures (no personal data: codes, times, offsets).
    var figures: [String: Any] {
        var out: [String: Any] = [:]
        if let code { out["code"] = code }
        if let since { out["since"] = DeadLetterConsole.timeText(since) }
        if let partition { out["partition"] = Int(partition) }
        if !offsets.isEmpty { out["offsets"] = offsets.sorted().map { Int($0) } }
        if let limit { out["limit"] = limit }
        return out
    }
}

/// `frontdoor dlq`: lists, shows and replays the rejects on the input topics' dead-letter queues.
///
/// Reads each `<topic>.dlq` from the beginning up to its high watermark with a
/// ``KafkaPartitionReader`` (no consumer group: the workers' groups are not disturbed and nothing
/// is committed). Nothing it prints carries personal data unless asked for with `show --value`.
/// A replay sends a reject back to its original topic with its original key, value and headers
/// (without the DLQ's `frontdoor-error`/`frontdoor-original-*` headers, with
/// `frontdoor-replayed-from`), which is safe because the workers process an event once per
/// `(source, id)`; a stub has no value and is never replayed.
public struct DeadLetterConsole: Sendable {
    public let settings: WorkerSettings
    let reader: KafkaPartitionReader
    let logger: Logger

    /// The DLQ headers a replay removes: the worker adds them again if the event is rejected again.
    static let dlqHeaderNames: Set<String> = [
        "frontdoor-error-code", "frontdoor-error", "frontdoor-original-topic", "frontdoor-original-partition",
        "frontdoor-original-offset", "frontdoor-replayed-from",
    ]

    public init(settings: WorkerSettings, logger: Logger = Logger(label: "frontdoor.dlq")) throws(KafkaError) {
        var c = settings.consumerConfiguration(group: settings.group("dlq-console"))
        c.statisticsInterval = nil
        self.settings = settings
        self.reader = try KafkaPartitionReader(configuration: c, logger: logger)
        self.logger = logger
    }

    /// The DLQs that `topic` names: an input topic, its DLQ, or a worker input's short name
    /// (`attendance`, `exclusions`, `referrals`, `decisions`, `rolls`); every input topic's DLQ when `nil`.
    ///
    /// - Throws: ``DeadLetterConsoleError`` for any other topic (replays go to input topics only).
    public func dlqTopics(for topic: String?) throws(DeadLetterConsoleError) -> [String] {
        let t = settings.topics
        guard let topic else { return t.inputs.map(t.dlq(of:)) }
        let short = [
            "attendance": t.attendance, "exclusions": t.exclusions, "referrals": t.referrals, "decisions": t.decisions,
            "rolls": t.rolls,
        ]
        if let input = short[topic] { return [t.dlq(of: input)] }
        if t.inputs.contains(topic) { return [t.dlq(of: topic)] }
        if t.inputs.map(t.dlq(of:)).contains(topic) { return [topic] }
        throw DeadLetterConsoleError(
            "\(topic) is not an input topic; use one of \((t.inputs + short.keys.sorted()).joined(separator: ", ")) or its .dlq")
    }

    /// The rejects on `dlqTopics` that match `filter`, in DLQ order (topic by topic, partition by
    /// partition). A DLQ the cluster does not know holds none.
    ///
    /// - Returns: The selected rejects and how many more matched beyond ``DeadLetterFilter/limit``.
    public func fetch(_ dlqTopics: [String], filter: DeadLetterFilter) async throws(KafkaError) -> (letters: [DeadLetter], more: Int) {
        var starts: [KafkaTopicPartitionOffset] = []
        for topic in dlqTopics {
            guard let partitions = try await reader.partitions(of: topic) else { continue }
            for p in partitions where filter.partition == nil || filter.partition == p {
                // From the beginning even with --offset: a start past the end is not answered by
                // every broker (Tansu), and a DLQ is small enough to read whole.
                starts.append(KafkaTopicPartitionOffset(topic: topic, partition: p, offset: KafkaTopicPartitionOffset.beginning))
            }
        }
        let matched = try await reader.read(from: starts) { filter.matches(DeadLetter($0)) }.map(DeadLetter.init)
        guard let limit = filter.limit, matched.count > limit else { return (matched, 0) }
        return (Array(matched.prefix(limit)), matched.count - limit)
    }

    /// `dlq list`: one ``DeadLetter/summary`` line per reject and a count per code.
    public static func listText(_ letters: [DeadLetter], more: Int = 0) -> String {
        var lines = letters.map(\.summary)
        var counts: [String: Int] = [:]
        for l in letters { counts[l.code, default: 0] += 1 }
        let stubs = letters.filter(\.isStub).count
        let byCode = counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("\(letters.count) \(letters.count == 1 ? "reject" : "rejects")" + (letters.isEmpty ? "" : " (\(byCode)); \(stubs) stubs"))
        if more > 0 { lines.append("\(more) more match; raise --limit to see them") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `dlq show`: the reject's safe headers, and its value only when `value` is true.
    public static func showText(_ letter: DeadLetter, value: Bool) -> String {
        var lines = [
            "reject \(letter.position)",
            "  time: \(letter.message.timestamp.map(timeText) ?? "-")",
            "  code: \(letter.code)",
            "  error: \(letter.error)",
            "  original: \(letter.originalTopic ?? "?")[\(letter.originalPartition.map(String.init) ?? "?")]@\(letter.originalOffset.map(String.init) ?? "?")",
            "  form: "
                + (letter.isStub
                    ? "stub: the original (\(letter.size) B, sha256 \(letter.header("frontdoor-original-sha256") ?? "?")) was too large for the DLQ and cannot be replayed"
                    : "original (\(letter.size) B value)"),
            "  key: " + (letter.message.key.map { "\($0.count) bytes (not shown)" } ?? "none"),
            "  headers:",
        ]
        lines += letter.safeHeaders.map { "    " + $0 }
        if letter.isStub {
            lines.append("  value: none (a stub)")
        } else if value {
            lines.append("  value:")
            lines.append(String(decoding: letter.message.value, as: UTF8.self))
        } else {
            lines.append("  value: not shown; --value prints it (it may hold personal data)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What a replay did, or would do, with one reject.
    public enum ReplayOutcome: Sendable, Hashable {
        /// Dry run: would go to this topic.
        case wouldSend(topic: String)
        case sent(KafkaDeliveryReport)
        /// A stub: no value to send.
        case stub
        /// Its `frontdoor-original-topic` is missing or is not the input topic this DLQ belongs to.
        case noOriginalTopic
        case failed(String)
    }

    /// A replay run's result: each selected reject with its outcome.
    public struct ReplayResult: Sendable {
        public var applied: Bool
        public var outcomes: [(letter: DeadLetter, outcome: ReplayOutcome)]

        public var sent: Int { outcomes.filter { if case .sent = $0.outcome { true } else { false } }.count }
        public var stubs: Int { outcomes.filter { $0.outcome == .stub }.count }
        public var failed: Int {
            outcomes.filter {
                switch $0.outcome {
                case .failed, .noOriginalTopic: true
                default: false
                }
            }.count
        }

        /// One line per reject and a total.
        public var text: String {
            var lines: [String] = outcomes.map { letter, outcome in
                let origin = "\(letter.position) \(letter.code)"
                switch outcome {
                case .wouldSend(let topic): return "would replay \(origin) to \(topic)"
                case .sent(let r): return "replayed \(origin) to \(r.topic)[\(r.partition)]@\(r.offset)"
                case .stub: return "not replayed \(origin): a stub has no value (the original was too large for the DLQ); resend it from the source"
                case .noOriginalTopic: return "not replayed \(origin): its frontdoor-original-topic is missing or not this DLQ's input topic"
                case .failed(let error): return "failed \(origin): \(error)"
                }
            }
            if applied {
                lines.append("\(sent) replayed, \(stubs) stubs refused, \(failed) failed, of \(outcomes.count) selected")
            } else {
                let would = outcomes.filter { if case .wouldSend = $0.outcome { true } else { false } }.count
                lines.append(
                    "dry run: \(would) would be replayed, \(stubs) stubs refused, \(failed) not replayable, of \(outcomes.count) selected; --apply sends them"
                )
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// The message a replay sends for `letter`: to the input topic whose DLQ holds it (its original
    /// partition, or the key's when the header is missing), with the
    /// original key, value and headers, the DLQ's headers replaced by `frontdoor-replayed-from`.
    /// `nil` for a stub or a reject whose original topic is not that input topic.
    public func replayMessage(_ letter: DeadLetter) -> KafkaProducerMessage? {
        guard !letter.isStub, let topic = letter.originalTopic, settings.topics.dlq(of: topic) == letter.message.topic,
            settings.topics.inputs.contains(topic)
        else { return nil }
        var headers = letter.message.headers.filter { !Self.dlqHeaderNames.contains($0.key.lowercased()) }
        headers.append(KafkaHeader(key: "frontdoor-replayed-from", string: letter.position.description))
        // The partition the sender's partitioner chose (whichever it was), so the event rejoins its key's partition.
        return KafkaProducerMessage(
            topic: topic, partition: letter.originalPartition, key: letter.message.key, value: letter.message.value,
            headers: headers)
    }

    /// Replays `letters` (see ``replayMessage(_:)``): with `producer`, sends them and records the
    /// run in `audit_log` (rule `dlq-replay`) through `database`; without, only says what it would do.
    public func replay(
        _ letters: [DeadLetter],
        dlqTopics: [String],
        filter: DeadLetterFilter,
        producer: KafkaProducer?,
        database: FrontDoorDatabase?
    ) async throws -> ReplayResult {
        var outcomes: [(letter: DeadLetter, outcome: ReplayOutcome)] = []
        var toSend: [(index: Int, message: KafkaProducerMessage)] = []
        for letter in letters {
            if letter.isStub {
                outcomes.append((letter, .stub))
            } else if let message = replayMessage(letter) {
                toSend.append((outcomes.count, message))
                outcomes.append((letter, .wouldSend(topic: message.topic)))
            } else {
                outcomes.append((letter, .noOriginalTopic))
            }
        }
        guard let producer else { return ReplayResult(applied: false, outcomes: outcomes) }
        // The run must be auditable: find out that PostgreSQL is unreachable before sending anything.
        if let database { try await database.withTransaction(readOnly: true) { _ in } }
        for (item, result) in zip(toSend, await producer.send(toSend.map(\.message))) {
            switch result {
            case .success(let report): outcomes[item.index].outcome = .sent(report)
            case .failure(let error): outcomes[item.index].outcome = .failed(error.description)
            }
        }
        let result = ReplayResult(applied: true, outcomes: outcomes)
        logger.notice(
            "dead-letter replay",
            metadata: [
                "dlq.topics": "\(dlqTopics.joined(separator: ","))", "dlq.selected": "\(outcomes.count)",
                "dlq.replayed": "\(result.sent)", "dlq.stubs": "\(result.stubs)", "dlq.failed": "\(result.failed)",
            ])
        if let database {
            let figures = try JSONSerialization.data(
                withJSONObject: Self.auditFigures(result, dlqTopics: dlqTopics, filter: filter), options: [.sortedKeys])
            try await database.withTransaction { tx in
                try await tx.audit(
                    rule: "dlq-replay", subjectRef: "dlq:" + dlqTopics.joined(separator: ","),
                    decision: result.failed == 0 ? "replayed" : "replayed-with-failures", figuresJSON: figures)
            }
        }
        return result
    }

    /// The audit row's figures: filters, counts and each reject's DLQ position, code and where it
    /// went. No key, value, subject or header value of the event.
    static func auditFigures(_ result: ReplayResult, dlqTopics: [String], filter: DeadLetterFilter) -> [String: Any] {
        let entries: [[String: Any]] = result.outcomes.map { letter, outcome in
            var e: [String: Any] = [
                "dlq": letter.message.topic, "partition": Int(letter.message.partition), "offset": Int(letter.message.offset),
                "code": letter.code,
            ]
            switch outcome {
            case .sent(let r): e["sentTo"] = "\(r.topic)[\(r.partition)]@\(r.offset)"
            case .stub: e["refused"] = "stub"
            case .noOriginalTopic: e["refused"] = "no-original-topic"
            case .failed: e["refused"] = "send-failed"
            case .wouldSend: break
            }
            return e
        }
        return [
            "dlqTopics": dlqTopics, "filter": filter.figures, "selected": result.outcomes.count, "replayed": result.sent,
            "stubs": result.stubs, "failed": result.failed, "entries": entries,
        ]
    }

    /// UTC, to the second.
    static func timeText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// A console request that cannot be served (an unknown topic…); the message names no personal data.
public struct DeadLetterConsoleError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
