import Foundation

/// One decision a rule took, with the figures it used.
public struct AuditEntry: Sendable, Hashable {
    /// The rule, e.g. `"attendance.severe-absence"` or `"enforcement.england-2024"`.
    public var rule: String
    /// A pseudonymous reference to the subject: a case id or a hashed UPN, never a name.
    public var subjectRef: String
    /// What was decided, e.g. `"notify"`, `"no-action"`, `"open-review"`.
    public var decision: String
    /// The figures the rule used, as a UTF-8 JSON object (no personal data).
    public var figuresJSON: Data
    /// The event that caused the decision, when there was one (the scheduler has none).
    public var eventSource: String?
    public var eventId: String?
    /// When the decision was recorded; `nil` before it is stored (the store uses `now()`).
    public var at: Date?

    public init(
        rule: String,
        subjectRef: String,
        decision: String,
        figuresJSON: Data = Data("{}".utf8),
        eventSource: String? = nil,
        eventId: String? = nil,
        at: Date? = nil
    ) {
        self.rule = rule
        self.subjectRef = subjectRef
        self.decision = decision
        self.figuresJSON = figuresJSON
        self.eventSource = eventSource
        self.eventId = eventId
        self.at = at
    }
}
