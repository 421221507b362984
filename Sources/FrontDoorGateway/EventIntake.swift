import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorWorkers

/// The topic and Kafka key of each input event: the topic table of events.md, with the keys
/// the workers rely on (the simulator and `frontdoor bench` use the same): the UPN for
/// attendance, exclusions and roll changes, `referralId` for referrals, `caseId` for decisions.
/// The same key always lands on the same partition, which keeps one pupil's (or one case's)
/// events in order.
public struct EventRouting: Sendable {
    public var topics: TopicNames

    public init(topics: TopicNames) { self.topics = topics }

    public func route(_ event: InputEvent) -> (topic: String, key: String) {
        switch event {
        case .attendanceMark(_, let m): (topics.attendance, m.upn.value)
        case .exclusionIssued(_, let x): (topics.exclusions, x.upn.value)
        case .exclusionRescinded(_, let x): (topics.exclusions, x.upn.value)
        case .rollChange(_, let r): (topics.rolls, r.upn.value)
        case .referralReceived(_, let r): (topics.referrals, r.referralId)
        case .referralResolved(_, let r): (topics.referrals, r.referralId)
        case .enforcementDecision(_, let d): (topics.decisions, d.caseId)
        }
    }
}

/// What became of one event of a request. Carries the event's `id` (an opaque identifier, not
/// personal data) once the decoder has read it, and for a reject the decoder's code, field and
/// sentence, which never repeat a value.
public struct EventResult: Codable, Sendable, Hashable {
    public enum Outcome: String, Codable, Sendable, Hashable {
        /// The broker acknowledged it.
        case published
        /// The decoder refused it (`code` says why); the other events of the request went on.
        case rejected
        /// This client may not send it; nothing of the request was published.
        case forbidden
        /// Valid, but not published: another event of the request was forbidden, or the broker
        /// did not acknowledge it (`503`).
        case notPublished = "not-published"
    }

    /// Its position in the request (0 for a single event).
    public var index: Int
    public var id: String?
    public var outcome: Outcome
    public var topic: String?
    public var code: String?
    public var field: String?
    public var message: String?

    public init(
        index: Int, id: String? = nil, outcome: Outcome, topic: String? = nil, code: String? = nil, field: String? = nil,
        message: String? = nil
    ) {
        self.index = index
        self.id = id
        self.outcome = outcome
        self.topic = topic
        self.code = code
        self.field = field
        self.message = message
    }
}

/// The body of every gateway answer to `POST /events`. `error` and `message` are set on every
/// status but `202`; `results` is present once the events were read (`202`, `400`, `403`, `503`
/// from the broker).
public struct IntakeResponse: Codable, Sendable, Hashable {
    public var error: String?
    public var message: String?
    public var published: Int?
    public var rejected: Int?
    public var results: [EventResult]?

    public init(
        error: String? = nil, message: String? = nil, published: Int? = nil, rejected: Int? = nil, results: [EventResult]? = nil
    ) {
        self.error = error
        self.message = message
        self.published = published
        self.rejected = rejected
        self.results = results
    }
}

/// Decides, publishes and answers for the events of one authenticated request.
///
/// Guarantees:
/// - Every event is validated by ``EventDecoder``, the decoder the workers use, with its bounds:
///   what the gateway publishes, a worker accepts (but for the checks only a worker can make:
///   `unknown-case`, `not-on-roll`, …).
/// - A request with an event the client may not send (another school's LAESTAB, a type outside
///   its kind, a source not its own) publishes nothing: `403`.
/// - Otherwise every valid event is published, invalid ones are named with their reject code:
///   `202` when all were valid, `400` when some were not.
/// - The answer comes after the broker acknowledged every published event (the idempotent
///   producer's delivery report). When it did not acknowledge one, the answer is `503` and lists
///   which were published. Kafka cannot take a batch atomically here, so "nothing half-published"
///   means: the client sends the whole request again, and the events that did get through are
///   recognised by their `(source, id)` downstream and have no second effect.
public struct EventIntake: Sendable {
    public let routing: EventRouting
    public let calendar: SchoolCalendar
    public let producer: KafkaProducer

    public init(routing: EventRouting, calendar: SchoolCalendar, producer: KafkaProducer) {
        self.routing = routing
        self.calendar = calendar
        self.producer = producer
    }

    /// The HTTP status and body for `candidates` sent by `client` in `mode`.
    public func accept(
        _ candidates: [CloudEventsHTTP.Candidate], mode: CloudEventsHTTP.Mode, from client: GatewayClient
    ) async -> (status: Int, body: IntakeResponse) {
        var results: [EventResult] = []
        results.reserveCapacity(candidates.count)
        var valid: [(index: Int, event: InputEvent, value: [UInt8])] = []
        var forbidden = 0
        for (index, candidate) in candidates.enumerated() {
            switch EventDecoder.decode(value: candidate.value, headers: candidate.headers, calendar: calendar) {
            case .failure(let reject):
                results.append(
                    EventResult(
                        index: index, outcome: .rejected, code: reject.code.rawValue, field: reject.field, message: reject.message))
            case .success(let event):
                let id = event.envelope.id
                if let denial = client.denial(of: event) {
                    forbidden += 1
                    results.append(EventResult(index: index, id: id, outcome: .forbidden, code: "forbidden", message: denial))
                    continue
                }
                var value = candidate.value
                if mode == .binary {
                    value = CloudEventsHTTP.structuredValue(ofBinary: candidate)
                    // What goes to Kafka must decode to the same event, or it is not sent.
                    guard case .success(let again) = EventDecoder.decode(structured: value, calendar: calendar),
                        again.envelope.id == id, again.envelope.source == event.envelope.source
                    else {
                        results.append(
                            EventResult(
                                index: index, id: id, outcome: .rejected, code: RejectCode.malformedField.rawValue,
                                message: "The ce- headers do not make a structured event."))
                        continue
                    }
                }
                valid.append((index, event, value))
                results.append(EventResult(index: index, id: id, outcome: .notPublished, topic: routing.route(event).topic))
            }
        }
        let rejected = results.count - valid.count - forbidden
        if forbidden > 0 {
            return (
                403,
                IntakeResponse(
                    error: "forbidden",
                    message:
                        "This client may not send \(forbidden == 1 ? "one of these events" : "\(forbidden) of these events"); nothing was published.",
                    published: 0, rejected: rejected, results: results)
            )
        }
        var messages: [KafkaProducerMessage] = []
        messages.reserveCapacity(valid.count)
        for v in valid {
            let (topic, key) = routing.route(v.event)
            messages.append(
                KafkaProducerMessage(
                    topic: topic, key: Array(key.utf8), value: v.value,
                    headers: [KafkaHeader(key: "content-type", string: CloudEventsHTTP.structuredMediaType)]))
        }
        let reports = messages.isEmpty ? [] : await producer.send(messages)
        var published = 0
        var failed = 0
        for (v, report) in zip(valid, reports) {
            switch report {
            case .success:
                results[v.index].outcome = .published
                published += 1
            case .failure:
                failed += 1
            }
        }
        if failed > 0 {
            return (
                503,
                IntakeResponse(
                    error: "broker-unavailable",
                    message:
                        "The broker did not acknowledge \(failed) of \(valid.count) valid events. Send the whole request again later: events already published are recognised by their (source, id) and have no second effect.",
                    published: published, rejected: rejected, results: results)
            )
        }
        if rejected > 0 {
            return (
                400,
                IntakeResponse(
                    error: "invalid-events",
                    message:
                        "\(rejected) of \(candidates.count) events were rejected (see each result's code); the \(published) valid ones were published.",
                    published: published, rejected: rejected, results: results)
            )
        }
        return (202, IntakeResponse(published: published, rejected: 0, results: results))
    }
}
