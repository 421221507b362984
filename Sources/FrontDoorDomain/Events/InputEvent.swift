import Foundation

/// How the CloudEvent arrived (CloudEvents Kafka protocol binding).
public enum ContentMode: String, Sendable, Hashable, Codable {
    /// The whole event is the JSON value (`application/cloudevents+json`).
    case structured
    /// Attributes in `ce_*` headers, `data` as the value.
    case binary
}

/// The CloudEvents attributes of an input event.
public struct EventEnvelope: Sendable, Hashable {
    /// Non-empty, at most 128 characters. `(source, id)` identifies the event.
    public var id: String
    /// A URI-reference naming the sender (`urn:laestab:8862001`, `urn:frontdoor:agency:<name>`).
    public var source: String
    public var type: EventType
    /// When the fact was recorded at the source.
    public var time: Date
    /// The UPN where there is one. Informational: the UPN in `data` is authoritative.
    public var subject: String?
    public var mode: ContentMode

    public init(id: String, source: String, type: EventType, time: Date, subject: String? = nil, mode: ContentMode = .structured) {
        self.id = id
        self.source = source
        self.type = type
        self.time = time
        self.subject = subject
        self.mode = mode
    }

    /// The date of ``time`` in England (Europe/London), e.g. the day a referral was received.
    public var londonDate: LocalDate { RFC3339.londonDate(of: time) }
}

/// A decoded, validated input event.
public enum InputEvent: Sendable, Hashable {
    case attendanceMark(EventEnvelope, AttendanceMark)
    case exclusionIssued(EventEnvelope, ExclusionIssued)
    case exclusionRescinded(EventEnvelope, ExclusionRescinded)
    case referralReceived(EventEnvelope, ReferralReceived)
    case referralResolved(EventEnvelope, ReferralResolved)
    case enforcementDecision(EventEnvelope, EnforcementDecision)
    case rollChange(EventEnvelope, RollChange)

    public var envelope: EventEnvelope {
        switch self {
        case .attendanceMark(let e, _), .exclusionIssued(let e, _), .exclusionRescinded(let e, _),
            .referralReceived(let e, _), .referralResolved(let e, _), .enforcementDecision(let e, _),
            .rollChange(let e, _):
            e
        }
    }

    /// The child's UPN, when the event carries one.
    public var upn: UPN? {
        switch self {
        case .attendanceMark(_, let m): m.upn
        case .exclusionIssued(_, let x): x.upn
        case .exclusionRescinded(_, let x): x.upn
        case .referralReceived(_, let r): r.upn
        case .rollChange(_, let r): r.upn
        case .referralResolved, .enforcementDecision: nil
        }
    }
}
