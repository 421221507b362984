/// Why an input event is rejected to `<topic>.dlq`: the `frontdoor-error-code` header.
///
/// Raw values are stable kebab-case codes: operations dashboards and school MIS vendors
/// match on them, so a code is never renamed or reused. docs/contract.md lists them.
public enum RejectCode: String, Sendable, Hashable, CaseIterable, Codable {
    /// The Kafka value is over 256 KiB.
    case valueTooLarge = "value-too-large"
    /// The value is not UTF-8 JSON, not an object, has a duplicate member name or is nested too deeply.
    case invalidJSON = "invalid-json"
    /// A `content-type` (or `datacontenttype`) other than JSON CloudEvents.
    case unsupportedContentType = "unsupported-content-type"
    /// `specversion` is not `"1.0"`.
    case unsupportedSpecversion = "unsupported-specversion"
    /// `type` is not one of the six input types.
    case unknownType = "unknown-type"
    /// A required attribute or field is absent (or null).
    case missingField = "missing-field"
    /// An attribute or field has the wrong type, length, format or value.
    case malformedField = "malformed-field"
    /// `data` (or an object inside it) has a field the contract does not define.
    case unknownField = "unknown-field"
    /// A UPN fails the DfE's validation (census messages 1500–1540), including a wrong check letter.
    case invalidUPN = "invalid-upn"
    /// The register code is not in the set in force on the mark's date.
    case unknownRegisterCode = "unknown-register-code"
    /// The mark is dated on a weekend or a bank holiday.
    case notASchoolDay = "not-a-school-day"
    /// The exclusion reason is not a DfE reason code.
    case unknownExclusionReason = "unknown-exclusion-reason"
    /// An `enforcement.decision.v1` for a case frontdoor does not know (raised by the worker, not the decoder).
    case unknownCase = "unknown-case"
    /// An `exclusion.rescinded.v1` for an exclusion frontdoor has not recorded (raised by the worker).
    case unknownExclusion = "unknown-exclusion"
    /// A `referral.resolved.v1` for a referral frontdoor has not received (raised by the worker).
    case unknownReferral = "unknown-referral"
    /// An `attendance.mark.v1` dated after the pupil's deletion from that school's roll
    /// (`roll.change.v1`; raised by the worker).
    case notOnRoll = "not-on-roll"
    /// A valid event whose processing failed for good (a permanent database error), set aside
    /// so its partition can move on (raised by the worker runtime, not the decoder).
    case processingFailed = "processing-failed"
}

/// A rejected input event: the DLQ's `frontdoor-error-code` and `frontdoor-error` headers.
///
/// - Important: ``message`` is one sentence that names the field but never echoes a value
///   from the event: events carry personal data, and DLQ headers and logs must not.
public struct Reject: Error, Sendable, Hashable, CustomStringConvertible {
    public let code: RejectCode
    /// One human sentence, no personal data.
    public let message: String
    /// The contract path of the offending attribute or field (`id`, `data.upn`,
    /// `data.child.dateOfBirth`, header `ce_time`), when there is one.
    public let field: String?

    public init(_ code: RejectCode, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
