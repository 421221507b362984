import Foundation

/// Encodes frontdoor's output events as structured-mode CloudEvents JSON (events.md,
/// "Output types"), the form the notification relay publishes.
///
/// The bytes are deterministic (sorted keys, `time` in UTC with milliseconds), so a
/// re-published notification is byte-for-byte the one published before.
public enum EventEncoder {
    /// `source` of `earlyhelp.notification.v1`.
    public static let earlyHelpSource = "urn:frontdoor:early-help"
    /// `source` of `enforcement.review.v1`.
    public static let enforcementSource = "urn:frontdoor:enforcement"

    /// `id` is the notification's `notificationId`, `time` its `createdAt`, `subject` its UPN.
    public static func encode(_ notification: EarlyHelpNotification) -> [UInt8] {
        encode(
            Structured(
                id: notification.notificationId,
                source: earlyHelpSource,
                type: EventType.earlyHelpNotification.rawValue,
                time: RFC3339.format(notification.createdAt),
                subject: notification.upn?.value,
                data: notification
            )
        )
    }

    /// `id` is ``reviewEventID(caseId:)``, `time` the review's `createdAt`, `subject` its UPN.
    public static func encode(_ review: EnforcementReview) -> [UInt8] {
        encode(
            Structured(
                id: reviewEventID(caseId: review.caseId),
                source: enforcementSource,
                type: EventType.enforcementReview.rawValue,
                time: RFC3339.format(review.createdAt),
                subject: review.upn.value,
                data: review
            )
        )
    }

    /// The CloudEvents `id` of a review: stable per case, so re-publishing keeps it.
    public static func reviewEventID(caseId: String) -> String {
        StableID.make(EventType.enforcementReview.rawValue, caseId)
    }

    /// `id` is ``reviewWithdrawnEventID(caseId:)``, `time` the withdrawal's `withdrawnAt`,
    /// `subject` its UPN; on the enforcement topic, keyed by `caseId` like the review.
    public static func encode(_ withdrawal: EnforcementReviewWithdrawal) -> [UInt8] {
        encode(
            Structured(
                id: reviewWithdrawnEventID(caseId: withdrawal.caseId),
                source: enforcementSource,
                type: EventType.enforcementReviewWithdrawn.rawValue,
                time: RFC3339.format(withdrawal.withdrawnAt),
                subject: withdrawal.upn.value,
                data: withdrawal
            )
        )
    }

    /// The CloudEvents `id` of a review's withdrawal: stable per case (a case is withdrawn once).
    public static func reviewWithdrawnEventID(caseId: String) -> String {
        StableID.make(EventType.enforcementReviewWithdrawn.rawValue, caseId)
    }

    private struct Structured<D: Encodable>: Encodable {
        var specversion = "1.0"
        var id: String
        var source: String
        var type: String
        var time: String
        var subject: String?
        var datacontenttype = "application/json"
        var data: D

        init(id: String, source: String, type: String, time: String, subject: String?, data: D) {
            self.id = id
            self.source = source
            self.type = type
            self.time = time
            self.subject = subject
            self.data = data
        }
    }

    private static func encode<D: Encodable>(_ event: Structured<D>) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(RFC3339.format(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity",
            negativeInfinity: "-Infinity",
            nan: "NaN"
        )
        do {
            return Array(try encoder.encode(event))
        } catch {
            // Every field is a string, number, date or enum: encoding cannot fail.
            preconditionFailure("encoding an output event failed: \(type(of: error))")
        }
    }
}
