import Foundation
import Testing

@testable import FrontDoorDomain

/// events.md "Output types": frontdoor publishes structured-mode CloudEvents.
@Suite("EventEncoder (events.md output types)")
struct EventEncoderTests {
    static let created = RFC3339.parse("2026-11-16T09:05:12.345Z")!

    static func notification(upn: String? = "N886200126001") -> EarlyHelpNotification {
        EarlyHelpNotification(
            notificationId: "9a1f0c2e7d3b4a5c8e6f1029384756ab", caseId: "c71e", unitId: "ashford", district: "Ashford",
            kind: .severeAbsence, priority: .high, upn: upn.map { try! UPN(validating: $0) }, laestab: nil,
            dueBy: day("2026-11-30"), reasons: ["attendance-pct:48.6", "fsm"], createdAt: created
        )
    }

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test("earlyhelp.notification.v1: id = notificationId, source urn:frontdoor:early-help, time = createdAt, subject = UPN")
    func notificationEnvelope() throws {
        let o = try Self.object(EventEncoder.encode(Self.notification()))
        #expect(o["specversion"] as? String == "1.0")
        #expect(o["type"] as? String == "earlyhelp.notification.v1")
        #expect(o["id"] as? String == "9a1f0c2e7d3b4a5c8e6f1029384756ab")
        #expect(o["source"] as? String == "urn:frontdoor:early-help")
        #expect(o["time"] as? String == "2026-11-16T09:05:12.345Z")
        #expect(o["subject"] as? String == "N886200126001")
        #expect(o["datacontenttype"] as? String == "application/json")
        let data = try #require(o["data"] as? [String: Any])
        #expect(data["createdAt"] as? String == "2026-11-16T09:05:12.345Z")
        #expect(data["dueBy"] as? String == "2026-11-30")
        #expect(data["kind"] as? String == "severe-absence" && data["priority"] as? String == "high")
        #expect(data["laestab"] == nil)  // optional fields are omitted, not null
        #expect(data["reasons"] as? [String] == ["attendance-pct:48.6", "fsm"])
    }

    @Test("A notification for a child without a UPN has no subject and no upn field")
    func notificationWithoutUPN() throws {
        let o = try Self.object(EventEncoder.encode(Self.notification(upn: nil)))
        #expect(o["subject"] == nil)
        #expect((o["data"] as? [String: Any])?["upn"] == nil)
    }

    @Test("Encoding is deterministic: a re-published notification is byte-for-byte the same")
    func deterministic() {
        let a = EventEncoder.encode(Self.notification())
        let b = EventEncoder.encode(Self.notification())
        #expect(a == b)
        #expect(String(decoding: a, as: UTF8.self).hasPrefix(#"{"data":{"caseId":"c71e","createdAt":"#))
    }

    @Test("enforcement.review.v1: id is stable per caseId, source urn:frontdoor:enforcement, priorNotices listed")
    func reviewEnvelope() throws {
        let review = EnforcementReview(
            caseId: "case-1", upn: try UPN(validating: "L886400125017"), laestab: try LAESTAB(validating: "8864001"),
            ruleset: .england2024, basis: .tenUnauthorisedSessions, attendancePct: 88.4, unauthorisedSessions: 10,
            windowStart: day("2026-09-14"), windowEnd: day("2026-11-20"), priorNoticesIn3Years: 1,
            priorNotices: [PriorNotice(parentRef: "p1", decidedOn: day("2025-03-11"), caseId: "case-0")],
            recommendedAction: .penaltyNotice, amountPence: 16000, createdAt: Self.created,
            reasons: ["term-time-leave-only"]
        )
        let o = try Self.object(EventEncoder.encode(review))
        #expect(o["id"] as? String == EventEncoder.reviewEventID(caseId: "case-1"))
        #expect(EventEncoder.reviewEventID(caseId: "case-1") != EventEncoder.reviewEventID(caseId: "case-2"))
        #expect(o["source"] as? String == "urn:frontdoor:enforcement")
        #expect(o["subject"] as? String == "L886400125017")
        let data = try #require(o["data"] as? [String: Any])
        #expect(data["attendancePct"] as? Double == 88.4)
        #expect(data["ruleset"] as? String == "england-2024" && data["basis"] as? String == "ten-unauthorised-sessions")
        #expect((data["priorNotices"] as? [[String: Any]])?.first?["parentRef"] as? String == "p1")
        #expect(data["amountPence"] as? Int == 16000)
        #expect(data["reasons"] as? [String] == ["term-time-leave-only"])
    }
}
