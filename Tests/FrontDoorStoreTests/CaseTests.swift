import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

@Suite("Cases, referrals, enforcement, rule state", .timeLimit(.minutes(2)))
struct CaseTests {
    static let childKey = ReferralRecord.childKey(familyName: " Smith ", givenName: "JO", dateOfBirth: day("2015-03-02"))

    static func referral(id: String, caseId: String, upn: String? = nil, reason: String = "cme") -> ReferralRecord {
        ReferralRecord(
            referralId: id,
            caseId: caseId,
            reason: reason,
            upn: upn,
            laestab: "8862001",
            referrerKind: "school",
            referrerOrganisation: "Example Primary",
            childJSON: Data(#"{"givenName":"Jo","familyName":"Smith","dateOfBirth":"2015-03-02","postcode":"CT1 1AA"}"#.utf8),
            childKey: childKey,
            safeguardingConcern: true,
            details: "seen leaving with an adult",
            receivedTime: .at(0),
            receivedOn: day("2026-09-14"),
            source: "urn:frontdoor:agency:dfd",
            eventId: "ev-\(id)"
        )
    }

    static func cmeCase(
        _ id: String, dueBy: String?, upn: String? = nil, childKey: String? = nil, kind: String = "cme"
    )
        -> CaseRecord
    {
        CaseRecord(
            caseId: id, kind: kind, reason: "cme", upn: upn, childKey: childKey, laestab: "8862001",
            district: "Canterbury", unitId: "unit-east", priority: "high", openedOn: day("2026-09-01"),
            dueBy: dueBy.map(day)
        )
    }

    @Test("the child key is trimmed, case-insensitive and includes the birth date")
    func childKeyIsNormalised() {
        #expect(Self.childKey == "smith|jo|2015-03-02")
        #expect(ReferralRecord.childKey(familyName: "smith", givenName: " Jo\t", dateOfBirth: day("2015-03-02")) == Self.childKey)
        #expect(ReferralRecord.childKey(familyName: "Smith", givenName: "Jo", dateOfBirth: day("2015-03-03")) != Self.childKey)
    }

    @Test("open cases are found by UPN or child key and reason until closed")
    func caseLifecycle() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                #expect(try await tx.createCase(Self.cmeCase("case-1", dueBy: "2026-09-28", upn: "H886200126001")))
                #expect(try await !tx.createCase(Self.cmeCase("case-1", dueBy: "2026-09-28", upn: "H886200126001")))
                #expect(try await tx.createCase(Self.cmeCase("case-2", dueBy: nil, childKey: Self.childKey)))
                #expect(try await tx.insertReferral(Self.referral(id: "r1", caseId: "case-2")))
                #expect(try await !tx.insertReferral(Self.referral(id: "r1", caseId: "case-2")))
                #expect(try await tx.createOfficerTask(taskId: "t1", caseId: "case-1", role: "school-liaison-officer"))
                #expect(try await !tx.createOfficerTask(taskId: "t1", caseId: "case-1", role: "school-liaison-officer"))
            }
            try await database.withTransaction { tx throws in
                #expect(try await tx.findOpenCase(upn: "H886200126001", reason: "cme")?.caseId == "case-1")
                #expect(try await tx.findOpenCase(upn: "H886200126001", reason: "cme", kind: "cme")?.caseId == "case-1")
                #expect(try await tx.findOpenCase(upn: "H886200126001", reason: "cme", kind: "referral") == nil)
                #expect(try await tx.findOpenCase(upn: "H886200126001", reason: "persistent-absence") == nil)
                #expect(try await tx.findOpenCase(childKey: Self.childKey, reason: "cme")?.caseId == "case-2")
                #expect(try await tx.officerTasks(caseId: "case-1").map(\.role) == ["school-liaison-officer"])
                #expect(try await tx.setReviewDueBy(caseId: "case-1", day("2026-10-02")))
                #expect(try await !tx.setReviewDueBy(caseId: "nope", day("2026-10-02")))
                #expect(try await tx.setCaseDetails(caseId: "case-1", detailsJSON: Data(#"{"reasons":["a"]}"#.utf8)))

                let resolved = try await tx.resolveReferral(id: "r1", resolvedOn: day("2026-09-20"), outcome: "returned-to-school")
                #expect(resolved?.caseId == "case-2")
                #expect(resolved?.outcome == "returned-to-school")
                #expect(try await tx.resolveReferral(id: "unknown", resolvedOn: day("2026-09-20"), outcome: "x") == nil)
                #expect(try await tx.closeCase(id: "case-2", closedOn: day("2026-09-20"), outcome: "returned-to-school"))
                #expect(try await !tx.closeCase(id: "case-2", closedOn: day("2026-09-21"), outcome: "again"))
            }
            try await database.withTransaction(readOnly: true) { tx throws in
                #expect(try await tx.findOpenCase(childKey: Self.childKey, reason: "cme") == nil)
                let closed = try await tx.findCase(id: "case-2")
                #expect(closed?.status == "closed")
                #expect(closed?.closedOn == day("2026-09-20"))
                let open = try await tx.findCase(id: "case-1")
                #expect(open?.reviewDueBy == day("2026-10-02"))
                #expect(open.map { String(decoding: $0.detailsJSON, as: UTF8.self) } == #"{"reasons": ["a"]}"#)
                let stored = try await tx.findReferral(id: "r1")
                #expect(stored?.details == "seen leaving with an adult")
                #expect(stored?.safeguardingConcern == true)
                let child = try JSONSerialization.jsonObject(with: stored?.childJSON ?? Data()) as? [String: String]
                #expect(child?["postcode"] == "CT1 1AA")
                #expect(try await tx.referrals(caseId: "case-2").map(\.referralId) == ["r1"])
            }
        }
    }

    @Test("two transactions looking up the same child are serialised, so only one opens a case")
    func findOrCreateIsSerialised() async throws {
        try await TestDatabase.with { database in
            let firstLooked = Signal()
            async let first: Bool = database.withTransaction { tx throws in
                defer { firstLooked.fire() }  // also on failure, so the test fails instead of hanging
                let found = try await tx.findOpenCase(childKey: Self.childKey, reason: "cme")
                firstLooked.fire()
                try await Task.sleep(for: .milliseconds(300))  // the other transaction must wait meanwhile
                guard found == nil else { return false }
                return try await tx.createCase(Self.cmeCase("case-a", dueBy: nil, childKey: Self.childKey))
            }
            await firstLooked.wait()
            let second: Bool = try await database.withTransaction { tx throws in
                guard try await tx.findOpenCase(childKey: Self.childKey, reason: "cme") == nil else { return false }
                return try await tx.createCase(Self.cmeCase("case-b", dueBy: nil, childKey: Self.childKey))
            }
            #expect(try await first)
            #expect(!second)
        }
    }

    @Test("enforcement: one open review per pupil, decisions close it, prior notices are listed")
    func enforcementLifecycle() async throws {
        let upn = "J886200126001"
        func review(_ caseId: String) -> EnforcementReviewRecord {
            EnforcementReviewRecord(
                caseId: caseId, upn: upn, laestab: "8862001", ruleset: "england-2024", basis: "ten-unauthorised-sessions",
                attendancePct: 87.456, unauthorisedSessions: 11, windowStart: day("2026-09-07"),
                windowEnd: day("2026-11-13"), priorNotices: 0, recommendedAction: "notice-to-improve", createdAt: .at(0)
            )
        }
        func decision(
            _ id: String, caseId: String, _ decision: String, on date: String, parent: String = "P1"
        )
            -> EnforcementDecisionRecord
        {
            EnforcementDecisionRecord(
                source: "urn:frontdoor:agency:enforcement", eventId: id, caseId: caseId, decision: decision,
                decidedOn: day(date), officerId: "officer-7", parentRef: parent, amountPence: 8000
            )
        }
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                for id in ["rev-1", "rev-2", "rev-3"] {
                    #expect(try await tx.createCase(Self.cmeCase(id, dueBy: nil, upn: upn, kind: "enforcement-review")))
                }
                #expect(try await tx.openReview(review("rev-1")))
                #expect(try await !tx.openReview(review("rev-2")))  // one open review per pupil
                #expect(try await tx.findOpenReview(upn: upn)?.caseId == "rev-1")
                #expect(try await tx.findOpenReview(upn: upn)?.attendancePct == 87.46)

                #expect(try await tx.recordDecision(decision("d0", caseId: "unknown", "no-action", on: "2026-11-20")) == .unknownCase)
                #expect(
                    try await tx.recordDecision(decision("d1", caseId: "rev-1", "penalty-notice-issued", on: "2026-11-20"))
                        == .recorded(upn: upn)
                )
                #expect(try await tx.recordDecision(decision("d1", caseId: "rev-1", "penalty-notice-issued", on: "2026-11-20")) == .duplicate)
                #expect(try await tx.findOpenReview(upn: upn) == nil)
                #expect(try await tx.findReview(caseId: "rev-1")?.status == "decided")

                #expect(try await tx.openReview(review("rev-2")))
                #expect(
                    try await tx.recordDecision(decision("d2", caseId: "rev-2", "penalty-notice-issued", on: "2029-12-01", parent: "P2"))
                        == .recorded(upn: upn)
                )
                #expect(try await tx.openReview(review("rev-3")))
                #expect(
                    try await tx.recordDecision(decision("d3", caseId: "rev-3", "notice-to-improve-issued", on: "2029-12-02"))
                        == .recorded(upn: upn)
                )
            }
            let notices = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.penaltyNotices(upn: upn, from: day("2026-12-03"), through: day("2029-12-02"))
            }
            #expect(notices.map(\.parentRef) == ["P2"])
            let all = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.penaltyNotices(upn: upn, from: day("2026-11-20"), through: day("2029-12-02"))
            }
            #expect(all.map(\.caseId) == ["rev-1", "rev-2"])
            #expect(all.first?.amountPence == 8000)

            // A withdrawn notice (penalty-notice-withdrawn on its case, for its parent) is no
            // prior notice; the decision is stored beside it (the schema allows the new kind),
            // and a withdrawal for another parent withdraws nothing.
            try await database.withTransaction { tx throws in
                #expect(
                    try await tx.recordDecision(decision("d4", caseId: "rev-1", "penalty-notice-withdrawn", on: "2026-12-01"))
                        == .recorded(upn: upn))
                #expect(
                    try await tx.recordDecision(decision("d5", caseId: "rev-2", "penalty-notice-withdrawn", on: "2029-12-05"))
                        == .recorded(upn: upn))
            }
            let left = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.penaltyNotices(upn: upn, from: day("2026-11-20"), through: day("2029-12-02"))
            }
            #expect(left.map(\.caseId) == ["rev-2"])
        }
    }

    struct Transitions: Codable, Equatable {
        var severe: Bool
        var persistent: Bool
        var since: Date
    }

    @Test("rule state round-trips as Data and as Codable")
    func ruleStateRoundTrips() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                #expect(try await tx.ruleState(scope: "attendance", key: "K|2026/27") == nil)
                try await tx.setRuleState(scope: "attendance", key: "K|2026/27", Transitions(severe: true, persistent: false, since: .at(0)))
                try await tx.setRuleState(scope: "attendance", key: "K|2026/27", Transitions(severe: true, persistent: true, since: .at(60)))
                try await tx.setRuleState(scope: "cme-risk", key: "K", state: Data(#"{"run": 3}"#.utf8))
            }
            try await database.withTransaction { tx throws in
                let state = try await tx.ruleState(Transitions.self, scope: "attendance", key: "K|2026/27", forUpdate: true)
                #expect(state == Transitions(severe: true, persistent: true, since: .at(60)))
                let raw = try await tx.ruleStates(scope: "cme-risk", keys: ["K", "missing"])
                #expect(raw.keys.sorted() == ["K"])
                #expect(raw["K"].map { String(decoding: $0, as: UTF8.self) } == #"{"run": 3}"#)
                #expect(try await tx.deleteRuleState(scope: "cme-risk", key: "K"))
                #expect(try await tx.ruleState(scope: "cme-risk", key: "K") == nil)
            }
        }
    }

    @Test("audit entries, rejected counts and the school register")
    func auditRejectsAndSchools() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                try await tx.audit(
                    rule: "attendance.severe-absence", subjectRef: "case-9", decision: "notify",
                    figuresJSON: Data(#"{"attendancePct": 48.5, "possible": 40}"#.utf8), eventSource: "urn:laestab:8862001",
                    eventId: "e9"
                )
                try await tx.audit([AuditEntry(rule: "cme.overdue", subjectRef: "case-9", decision: "notify")])
                try await tx.recordRejected(topic: "frontdoor.attendance.v1", partition: 0, offset: 5, errorCode: "not-a-school-day")
                try await tx.recordRejected(topic: "frontdoor.attendance.v1", partition: 1, offset: 6, errorCode: "not-a-school-day")
                try await tx.recordRejected(topic: "frontdoor.attendance.v1", partition: 1, offset: 7, errorCode: "invalid-json")
                #expect(
                    try await tx.upsertSchools([
                        SchoolRecord(laestab: "8862001", name: "Example Primary", phase: "primary", district: "Canterbury"),
                        SchoolRecord(laestab: "8864001", name: "Example High", phase: "secondary", district: "Thanet"),
                    ]) == 2
                )
            }
            try await database.withTransaction { tx throws in
                let entries = try await tx.auditEntries(subjectRef: "case-9")
                #expect(entries.map(\.rule) == ["attendance.severe-absence", "cme.overdue"])
                #expect(entries.first?.eventId == "e9")
                #expect(entries.last?.eventSource == nil)
                let figures = try JSONSerialization.jsonObject(with: entries.first?.figuresJSON ?? Data()) as? [String: Double]
                #expect(figures?["attendancePct"] == 48.5)
                #expect(try await tx.rejectedCounts(topic: "frontdoor.attendance.v1") == ["not-a-school-day": 2, "invalid-json": 1])
                // Re-upserting the same register changes nothing; a changed row is updated.
                #expect(
                    try await tx.upsertSchools([
                        SchoolRecord(laestab: "8862001", name: "Example Primary", phase: "primary", district: "Canterbury"),
                        SchoolRecord(laestab: "8864001", name: "Example High", phase: "secondary", district: "Dover"),
                    ]) == 1
                )
                #expect(try await tx.school(laestab: "8864001")?.district == "Dover")
                #expect(try await tx.schools().count == 2)
                #expect(try await tx.school(laestab: "8869999") == nil)
            }
        }
    }
}
