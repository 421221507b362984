import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

/// The batched reads and the once-only audit write the workers use (StoreTransaction+Workers.swift).
@Suite("Worker lookups", .timeLimit(.minutes(2)))
struct WorkerLookupTests {
    @Test("CME case periods, open reviews and decisions are read for many pupils at once")
    func batchedLookups() async throws {
        let (a, b, c) = ("L886200126001", "L886200126002", "L886200126003")
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                var first = CaseTests.cmeCase("cme-a1", dueBy: "2026-09-28", upn: a)
                first.openedOn = day("2026-09-10")
                _ = try await tx.createCase(first)
                _ = try await tx.closeCase(id: "cme-a1", closedOn: day("2026-09-20"), outcome: "returned-to-school")
                var second = CaseTests.cmeCase("cme-a2", dueBy: "2026-11-28", upn: a)
                second.openedOn = day("2026-11-14")
                _ = try await tx.createCase(second)
                _ = try await tx.createCase(CaseTests.cmeCase("ref-b", dueBy: nil, upn: b, kind: "referral"))
                _ = try await tx.createCase(CaseTests.cmeCase("rev-b", dueBy: nil, upn: b, kind: "enforcement-review"))
                _ = try await tx.createCase(CaseTests.cmeCase("rev-c", dueBy: nil, upn: c, kind: "enforcement-review"))
                for (caseId, upn) in [("rev-b", b), ("rev-c", c)] {
                    #expect(
                        try await tx.openReview(
                            EnforcementReviewRecord(
                                caseId: caseId, upn: upn, laestab: "8862001", ruleset: "kent-2016",
                                basis: "attendance-at-or-below-90", attendancePct: 88, unauthorisedSessions: 3,
                                windowStart: day("2026-09-01"), windowEnd: day("2026-10-01"), priorNotices: 0,
                                recommendedAction: "penalty-notice", createdAt: .at(0)
                            )
                        )
                    )
                }
                _ = try await tx.recordDecision(
                    EnforcementDecisionRecord(
                        source: "urn:frontdoor:agency:enforcement", eventId: "d-c", caseId: "rev-c",
                        decision: "penalty-notice-issued", decidedOn: day("2026-10-10"), officerId: "o1", parentRef: "P9"
                    )
                )
            }
            try await database.withTransaction(readOnly: true) { tx throws in
                let periods = try await tx.cmeCasePeriods(upns: [a, b, c])
                #expect(periods.keys.sorted() == [a])
                #expect(periods[a]?.map(\.opened) == [day("2026-09-10"), day("2026-11-14")])
                #expect(periods[a]?.map(\.closed) == [day("2026-09-20"), nil])
                #expect(try await tx.openReviewUPNs(upns: [a, b, c]) == [b])
                let decisions = try await tx.enforcementDecisions(upns: [a, b, c])
                #expect(decisions.keys.sorted() == [c])
                #expect(decisions[c]?.map(\.parentRef) == ["P9"])
                #expect(try await tx.cmeCasePeriods(upns: []).isEmpty)
            }
        }
    }

    @Test("auditOnce records an entry with an audit-id once; entries without one every time")
    func auditOnceDeduplicates() async throws {
        func entry(_ auditId: String?, decision: String) -> AuditEntry {
            let figures = auditId.map { #"{"audit-id": "\#($0)", "pct": 48.5}"# } ?? #"{"pct": 48.5}"#
            return AuditEntry(rule: "attendance.severe-absence", subjectRef: "case-1", decision: decision, figuresJSON: Data(figures.utf8))
        }
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                try await tx.auditOnce([entry("a-1", decision: "notify"), entry(nil, decision: "plain")])
            }
            try await database.withTransaction { tx throws in
                try await tx.auditOnce([entry("a-1", decision: "notify again"), entry("a-2", decision: "second"), entry(nil, decision: "plain")])
            }
            let decisions = try await database.withTransaction(readOnly: true) { tx throws in
                try await tx.auditEntries(subjectRef: "case-1").map(\.decision)
            }
            #expect(decisions == ["notify", "plain", "second", "plain"])
        }
    }
}
