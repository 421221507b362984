import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// What a run of a feed left in PostgreSQL, in a form two runs can be compared by: facts,
/// the figures derived from them, and the notifications queued (by stable id and kind).
struct Totals: Equatable, CustomStringConvertible {
    var processedEvents = 0
    var attendanceMarks = 0
    /// `upn laestab date session code` of every mark that counts.
    var marksThatCount: [String] = []
    /// `upn year possible present attending authorised unauthorised not_counted` per pupil and year.
    var yearAttendance: [String] = []
    /// The sums of those columns over all pupils.
    var yearSums = ""
    /// `kind notificationId` of every outbox row.
    var notifications: [String] = []
    var exclusions: [String] = []
    var cases: [String] = []
    var referrals = 0
    var reviews: [String] = []
    /// `rule decision subject` of every audit entry (each decision is audited once).
    var audit: [String] = []

    static func of(_ db: TestDatabase) async throws -> Totals {
        var t = Totals()
        t.processedEvents = try await db.int("SELECT count(*) FROM processed_events")
        t.attendanceMarks = try await db.int("SELECT count(*) FROM attendance_marks")
        t.marksThatCount = try await db.strings(
            "SELECT concat_ws(' ', upn, laestab, mark_date, session, code) FROM marks_that_count ORDER BY 1")
        t.yearAttendance = try await db.strings(
            """
            SELECT concat_ws(' ', upn, academic_year, possible, present, attending, authorised, unauthorised, not_counted)
            FROM pupil_year_attendance ORDER BY 1
            """)
        t.yearSums =
            try await db.strings(
                """
                SELECT concat_ws(' ', count(*), sum(possible), sum(present), sum(attending), sum(authorised), sum(unauthorised),
                                 sum(not_counted))
                FROM pupil_year_attendance
                """
            ).first ?? ""
        t.notifications = try await db.strings(
            "SELECT concat_ws(' ', headers->>'frontdoor-kind', notification_id) FROM outbox ORDER BY 1")
        t.exclusions = try await db.strings(
            "SELECT concat_ws(' ', laestab, exclusion_id, category, rescinded) FROM exclusions ORDER BY 1")
        t.cases = try await db.strings("SELECT concat_ws(' ', case_id, kind, status, unit_id) FROM cases ORDER BY 1")
        t.referrals = try await db.int("SELECT count(*) FROM referrals")
        t.reviews = try await db.strings("SELECT concat_ws(' ', case_id, status) FROM enforcement_reviews ORDER BY 1")
        t.audit = try await db.strings("SELECT concat_ws(' ', rule, decision, subject_ref) FROM audit_log ORDER BY 1")
        return t
    }

    var description: String {
        "events=\(processedEvents) marks=\(attendanceMarks) counted=\(marksThatCount.count) years=\(yearSums) "
            + "notifications=\(notifications.count) exclusions=\(exclusions.count) cases=\(cases.count) "
            + "referrals=\(referrals) reviews=\(reviews.count) audit=\(audit.count)"
    }

    /// Lines present on one side only, for a readable failure message.
    func difference(from other: Totals) -> String {
        func diff(_ name: String, _ a: [String], _ b: [String]) -> String? {
            let x = Set(a)
            let y = Set(b)
            guard x != y || a.count != b.count else { return nil }
            return
                "\(name): only here \(x.subtracting(y).sorted().prefix(5)), only there \(y.subtracting(x).sorted().prefix(5)), counts \(a.count)/\(b.count)"
        }
        return [
            diff("marksThatCount", marksThatCount, other.marksThatCount),
            diff("yearAttendance", yearAttendance, other.yearAttendance),
            diff("notifications", notifications, other.notifications),
            diff("exclusions", exclusions, other.exclusions),
            diff("cases", cases, other.cases),
            diff("reviews", reviews, other.reviews),
            diff("audit", audit, other.audit),
        ].compactMap { $0 }.joined(separator: "; ")
    }
}

extension TestDatabase {
    /// The input offsets below `ends` that no processed event came from, as ranges per partition
    /// (for a feed without duplicates or rejects, where every offset is one event): what a run lost.
    func unprocessedOffsets(ends: [KafkaTopicPartition: Int64]) async throws -> String {
        var out: [String] = []
        for (tp, end) in ends.sorted(by: { "\($0.key)" < "\($1.key)" }) {
            let seen = Set(
                try await strings(
                    "SELECT \"offset\"::text FROM processed_events WHERE topic = '\(tp.topic)' AND partition = \(tp.partition)"
                ).compactMap { Int64($0) })
            var ranges: [String] = []
            var start: Int64?
            for o in 0...end {
                let missing = o < end && !seen.contains(o)
                if missing, start == nil { start = o }
                if !missing, let s = start {
                    ranges.append(s == o - 1 ? "\(s)" : "\(s)-\(o - 1)")
                    start = nil
                }
            }
            if !ranges.isEmpty { out.append("\(tp): \(ranges.joined(separator: ","))") }
        }
        return out.isEmpty ? "none" : out.joined(separator: "; ")
    }
}
