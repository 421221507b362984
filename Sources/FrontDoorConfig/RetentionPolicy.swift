import Foundation
import Yams

/// How long personal data is kept: `Config/retention.yaml`, applied by `frontdoor purge`.
///
/// Every key is required (a missing or negative one is a ``ConfigError``), so the policy in
/// force is always the one written in the file.
public struct RetentionPolicy: Sendable, Hashable, Decodable {
    /// Academic years of attendance marks kept, counting the current one.
    public var attendanceMarksAcademicYears: Int
    /// Academic years of per-pupil aggregates and exclusions kept, counting the current one.
    public var aggregateAcademicYears: Int
    /// Academic years of roll changes (admissions and deletions, with the pupil's UPN) kept,
    /// counting the current one.
    public var rollChangesAcademicYears: Int
    /// Days after a case closed before its referrals' names, date of birth and details are anonymised.
    public var referralPersonalDataDaysAfterClosed: Int
    /// Days after a notification was sent before its outbox payload is emptied.
    public var outboxPayloadDaysAfterSent: Int
    public var processedEventsDays: Int
    public var rejectedEventsDays: Int
    public var auditLogYears: Int

    public init(
        attendanceMarksAcademicYears: Int, aggregateAcademicYears: Int, rollChangesAcademicYears: Int,
        referralPersonalDataDaysAfterClosed: Int, outboxPayloadDaysAfterSent: Int, processedEventsDays: Int,
        rejectedEventsDays: Int, auditLogYears: Int
    ) {
        self.attendanceMarksAcademicYears = attendanceMarksAcademicYears
        self.aggregateAcademicYears = aggregateAcademicYears
        self.rollChangesAcademicYears = rollChangesAcademicYears
        self.referralPersonalDataDaysAfterClosed = referralPersonalDataDaysAfterClosed
        self.outboxPayloadDaysAfterSent = outboxPayloadDaysAfterSent
        self.processedEventsDays = processedEventsDays
        self.rejectedEventsDays = rejectedEventsDays
        self.auditLogYears = auditLogYears
    }

    enum CodingKeys: String, CodingKey {
        case attendanceMarksAcademicYears = "attendance_marks_academic_years"
        case aggregateAcademicYears = "aggregate_academic_years"
        case rollChangesAcademicYears = "roll_changes_academic_years"
        case referralPersonalDataDaysAfterClosed = "referral_personal_data_days_after_closed"
        case outboxPayloadDaysAfterSent = "outbox_payload_days_after_sent"
        case processedEventsDays = "processed_events_days"
        case rejectedEventsDays = "rejected_events_days"
        case auditLogYears = "audit_log_years"
    }

    /// The file's name in the configuration directory.
    public static let file = "retention.yaml"

    /// Reads `retention.yaml` from a configuration directory.
    public static func load(directory: URL) throws(ConfigError) -> RetentionPolicy {
        let url = directory.appendingPathComponent(file)
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ConfigError(file: file, line: nil, message: "cannot be read")
        }
        return try parse(text)
    }

    /// Parses the text of `retention.yaml`.
    public static func parse(_ text: String) throws(ConfigError) -> RetentionPolicy {
        let policy: RetentionPolicy
        do { policy = try YAMLDecoder().decode(RetentionPolicy.self, from: text) } catch {
            throw ConfigError(file: file, line: nil, message: "is not a retention policy: \(error)")
        }
        let values = [
            policy.attendanceMarksAcademicYears, policy.aggregateAcademicYears, policy.rollChangesAcademicYears,
            policy.referralPersonalDataDaysAfterClosed, policy.outboxPayloadDaysAfterSent, policy.processedEventsDays,
            policy.rejectedEventsDays, policy.auditLogYears,
        ]
        guard values.allSatisfy({ $0 >= 0 }), policy.attendanceMarksAcademicYears >= 1, policy.aggregateAcademicYears >= 1,
            policy.rollChangesAcademicYears >= 1
        else { throw ConfigError(file: file, line: nil, message: "periods must be positive (academic years at least 1)") }
        return policy
    }
}
