import Foundation
import FrontDoorConfig
import Testing

/// Config/retention.yaml (issue 11 item 4): the shipped policy loads, and a policy missing a key
/// or with a negative period is refused rather than defaulted.
@Suite("Retention policy")
struct RetentionPolicyTests {
    static let config = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Config")

    @Test func theShippedPolicyLoads() throws {
        let p = try RetentionPolicy.load(directory: Self.config)
        #expect(p.attendanceMarksAcademicYears == 2 && p.aggregateAcademicYears == 8 && p.auditLogYears == 7)
        #expect(p.rollChangesAcademicYears == 8)
    }

    @Test func aMissingKeyOrNegativePeriodIsRefused() throws {
        let text = try String(contentsOf: Self.config.appendingPathComponent("retention.yaml"), encoding: .utf8)
        let missing = text.split(separator: "\n").filter { !$0.hasPrefix("audit_log_years") }.joined(separator: "\n")
        #expect(throws: ConfigError.self) { try RetentionPolicy.parse(missing) }
        let negative = text.replacingOccurrences(of: "rejected_events_days: 90", with: "rejected_events_days: -1")
        #expect(throws: ConfigError.self) { try RetentionPolicy.parse(negative) }
    }
}
