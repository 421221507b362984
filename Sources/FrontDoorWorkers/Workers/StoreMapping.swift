import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore

// Conversions between domain values and the store's plain records. The domain decides; the
// store remembers; these are the only places that know both.

extension StoreDate {
    /// The same day. Total: a date PostgreSQL cannot store (unreachable from a decoded event,
    /// whose dates lie in 1990–2099) becomes a value it refuses, so the write fails with an
    /// error rather than the worker trapping.
    init(_ d: LocalDate) { self.init(daysSince1970: d.daysSinceEpoch) }
}

extension LocalDate {
    /// The same day, for any date the database returns.
    init(_ d: StoreDate) { self.init(daysSinceEpoch: d.daysSince1970) }
}

extension StoreAuditEntry {
    /// The store's audit row for a domain decision: the subject is the case id or a pseudonym
    /// of the UPN, never the UPN itself.
    init(_ a: FrontDoorDomain.AuditEntry, event: EventEnvelope? = nil, pseudonyms: Pseudonymiser) {
        var figures = a.figures
        figures["audit-id"] = a.auditId
        let json = (try? JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])) ?? Data("{}".utf8)
        self.init(
            rule: a.rule, subjectRef: a.caseId ?? a.upn.map { pseudonyms.subjectRef($0.value) } ?? "none",
            decision: a.decision, figuresJSON: json, eventSource: event?.source, eventId: event?.id, at: a.at)
    }
}

/// Outbox rows for the notifications a rule returned.
struct Outbound {
    let topics: TopicNames

    func row(_ n: EarlyHelpNotification) -> OutboxMessage {
        OutboxMessage(
            notificationId: n.notificationId, topic: topics.earlyHelp(unit: n.unitId), key: n.caseId,
            payload: Data(EventEncoder.encode(n)),
            headers: ["content-type": "application/cloudevents+json", "frontdoor-kind": n.kind.rawValue])
    }

    func row(_ r: EnforcementReview) -> OutboxMessage {
        OutboxMessage(
            notificationId: EventEncoder.reviewEventID(caseId: r.caseId), topic: topics.enforcement, key: r.caseId,
            payload: Data(EventEncoder.encode(r)),
            headers: ["content-type": "application/cloudevents+json", "frontdoor-kind": "enforcement-review"])
    }

    func row(_ w: EnforcementReviewWithdrawal) -> OutboxMessage {
        OutboxMessage(
            notificationId: EventEncoder.reviewWithdrawnEventID(caseId: w.caseId), topic: topics.enforcement, key: w.caseId,
            payload: Data(EventEncoder.encode(w)),
            headers: ["content-type": "application/cloudevents+json", "frontdoor-kind": "enforcement-review-withdrawn"])
    }
}

extension KafkaConsumerMessage {
    /// Headers in the shape the domain decoder takes.
    var decoderHeaders: [(key: String, value: [UInt8]?)] { headers.map { ($0.key, $0.value) } }
}

/// Decodes a message and checks that its type belongs on the topic it arrived on.
func decodeForTopic(
    _ message: KafkaConsumerMessage, calendar: SchoolCalendar, allowed: [String: Set<EventType>]
) -> Result<InputEvent, Reject> {
    let result = EventDecoder.decode(value: message.value, headers: message.decoderHeaders, calendar: calendar)
    guard case .success(let event) = result, let types = allowed[message.topic] else { return result }
    guard types.contains(event.envelope.type) else {
        return .failure(Reject(.unknownType, "The event type is not one this topic carries.", field: "type"))
    }
    return result
}

/// What every batch handler holds: the configuration, the rules' context, the shape of its
/// outbox rows, and which event types each of its topics carries.
struct HandlerSetup: Sendable {
    let config: LoadedConfig
    let context: RuleContext
    let outbound: Outbound
    /// Pseudonyms of UPNs in audit rows.
    let pseudonyms: Pseudonymiser
    /// Topic → the event types it carries; anything else on it is rejected as `unknown-type`.
    let allowed: [String: Set<EventType>]

    init(config: LoadedConfig, settings: WorkerSettings, allowed: [String: Set<EventType>]) {
        self.config = config
        self.context = RuleContext(
            config: config.rules, calendar: config.calendar, schools: config.register, units: config.units,
            postcodes: config.postcodes)
        self.outbound = Outbound(topics: settings.topics)
        self.pseudonyms = settings.pseudonyms
        self.allowed = allowed
    }

    var topics: [String] { allowed.keys.sorted() }

    func decode(_ message: KafkaConsumerMessage) -> Result<InputEvent, Reject> {
        decodeForTopic(message, calendar: config.calendar, allowed: allowed)
    }
}
