import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

/// Two replicas working the same queue at once: `FOR UPDATE SKIP LOCKED` must hand each row to
/// exactly one of them.
@Suite("Concurrent replicas", .timeLimit(.minutes(2)))
struct ConcurrencyTests {
    static func enqueue(_ database: FrontDoorDatabase, count: Int) async throws -> [String] {
        let ids = (0..<count).map { String(format: "n-%03d", $0) }
        try await database.withTransaction { tx throws in
            let new = try await tx.enqueue(
                ids.map {
                    OutboxMessage(
                        notificationId: $0, topic: "frontdoor.enforcement.v1", key: "case-\($0)",
                        payload: Data("payload-\($0)".utf8), headers: ["ce_type": "enforcement.review.v1"]
                    )
                }
            )
            #expect(new == count)
        }
        return ids
    }

    @Test("outbox: while one relay's claim is leased, another gets only the others")
    func outboxClaimIsDisjoint() async throws {
        try await TestDatabase.with { database in
            let ids = try await Self.enqueue(database, count: 12)
            // The first relay's claim commits at once; its lease keeps the rows from the second.
            let first = try await database.withTransaction { tx throws in
                try await tx.claimUnsent(limit: 5, lease: .seconds(60)).map(\.notificationId)
            }
            let second: [String] = try await database.withTransaction { tx throws in
                let rows = try await tx.claimUnsent(limit: 100, lease: .seconds(60))
                try await tx.markSent(ids: rows.map(\.notificationId))
                return rows.map(\.notificationId)
            }
            #expect(first == Array(ids.prefix(5)))  // oldest first
            #expect(Set(first).isDisjoint(with: second))
            #expect(Set(first).union(second) == Set(ids))
            try await database.withTransaction { tx throws in
                #expect(try await tx.claimUnsent(limit: 100, lease: .seconds(60)).isEmpty)
                #expect(try await tx.markSent(ids: first) == first.count)
                #expect(try await tx.unsentCount() == 0)
            }
        }
    }

    @Test("outbox: two relays draining concurrently publish every row exactly once")
    func outboxDrainIsExactlyOnce() async throws {
        try await TestDatabase.with { database in
            let ids = try await Self.enqueue(database, count: 60)
            @Sendable func relay() async throws -> [String] {
                var published: [String] = []
                while true {
                    let batch: [String] = try await database.withTransaction { tx throws in
                        let rows = try await tx.claimUnsent(limit: 4, lease: .seconds(60))
                        try await Task.sleep(for: .milliseconds(5))  // "publishing"
                        #expect(try await tx.markSent(ids: rows.map(\.notificationId)) == rows.count)
                        return rows.map(\.notificationId)
                    }
                    if batch.isEmpty { return published }
                    published += batch
                }
            }
            async let a = relay()
            async let b = relay()
            let (fromA, fromB) = try await (a, b)
            #expect((fromA + fromB).sorted() == ids)
            #expect(!fromA.isEmpty && !fromB.isEmpty, "both relays should have taken part")
        }
    }

    @Test("outbox: an id enqueued twice is stored once; payload and headers round-trip; markSent removes rows")
    func outboxBasics() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                #expect(
                    try await tx.enqueue(
                        notificationId: "n1", topic: "frontdoor.early-help.unit-east.v1", key: "case-1",
                        payload: Data([0, 1, 2, 255]), headers: ["ce_id": "n1", "content-type": "application/cloudevents+json"]
                    )
                )
                #expect(try await !tx.enqueue(notificationId: "n1", topic: "other", key: "other", payload: Data()))
                #expect(try await tx.enqueue(notificationId: "n2", topic: "t", key: "k", payload: Data("x".utf8)))
            }
            try await database.withTransaction { tx throws in
                let rows = try await tx.claimUnsent(limit: 10, lease: .zero)  // claimable again at once
                #expect(rows.map(\.notificationId) == ["n1", "n2"])
                #expect(rows.first?.payload == Data([0, 1, 2, 255]))
                #expect(rows.first?.headers == ["ce_id": "n1", "content-type": "application/cloudevents+json"])
                #expect(rows.first?.topic == "frontdoor.early-help.unit-east.v1")
                #expect(rows.first?.key == "case-1")
                #expect(rows.first?.createdAt != nil)
                #expect(try await tx.markSent(ids: ["n1"]) == 1)
                #expect(try await tx.markSent(ids: ["n1"]) == 0)
            }
            try await database.withTransaction { tx throws in
                #expect(try await tx.claimUnsent(limit: 10, lease: .zero).map(\.notificationId) == ["n2"])
                // Re-deriving a sent notification does not resurrect it.
                #expect(try await !tx.enqueue(notificationId: "n1", topic: "t", key: "k", payload: Data()))
                #expect(try await tx.unsentCount() == 1)
                #expect(try await tx.deleteSent(before: Date().addingTimeInterval(60)) == 1)
            }
        }
    }

    static func seedCMECases(_ database: FrontDoorDatabase) async throws -> Set<String> {
        try await database.withTransaction { tx throws in
            var due: Set<String> = []
            for index in 0..<20 {
                let id = "due-\(index)"
                let dueBy = day("2026-09-28").adding(days: -(index % 5))
                #expect(try await tx.createCase(CaseTests.cmeCase(id, dueBy: dueBy.description, upn: "K8862001260\(index % 10)\(index / 10)")))
                due.insert(id)
            }
            // Not due yet, already notified, closed, not CME, no due date: never returned.
            #expect(try await tx.createCase(CaseTests.cmeCase("later", dueBy: "2026-09-29")))
            #expect(try await tx.createCase(CaseTests.cmeCase("notified", dueBy: "2026-09-20")))
            #expect(try await tx.markOverdueNotified(caseIds: ["notified"]) == 1)
            #expect(try await tx.createCase(CaseTests.cmeCase("closed", dueBy: "2026-09-20")))
            #expect(try await tx.closeCase(id: "closed", closedOn: day("2026-09-21"), outcome: "found-new-school"))
            #expect(try await tx.createCase(CaseTests.cmeCase("referral", dueBy: "2026-09-20", kind: "referral")))
            #expect(try await tx.createCase(CaseTests.cmeCase("undated", dueBy: nil)))
            return due
        }
    }

    @Test("overdue CME: while one scheduler holds cases, another gets only the others")
    func overdueCasesAreDisjoint() async throws {
        try await TestDatabase.with { database in
            let due = try await Self.seedCMECases(database)
            let firstFetched = Signal()
            let secondDone = Signal()
            async let first: [String] = database.withTransaction { tx throws in
                defer { firstFetched.fire() }  // also on failure, so the test fails instead of hanging
                let cases = try await tx.overdueCMECases(dueOnOrBefore: day("2026-09-28"), limit: 7)
                firstFetched.fire()
                await secondDone.wait()
                try await tx.markOverdueNotified(caseIds: cases.map(\.caseId))
                return cases.map(\.caseId)
            }
            await firstFetched.wait()
            defer { secondDone.fire() }
            let second: [String] = try await database.withTransaction { tx throws in
                let cases = try await tx.overdueCMECases(dueOnOrBefore: day("2026-09-28"))
                try await tx.markOverdueNotified(caseIds: cases.map(\.caseId))
                return cases.map(\.caseId)
            }
            secondDone.fire()
            let firstIds = try await first

            #expect(firstIds.count == 7)
            #expect(Set(firstIds).isDisjoint(with: second))
            #expect(Set(firstIds).union(second) == due)
            let again = try await database.withTransaction { tx throws in
                try await tx.overdueCMECases(dueOnOrBefore: day("2026-12-31"))
            }
            #expect(again.map(\.caseId) == ["later"])
        }
    }

    @Test("overdue CME: two schedulers running at once notify each due case exactly once")
    func overdueCasesExactlyOnce() async throws {
        try await TestDatabase.with { database in
            let due = try await Self.seedCMECases(database)
            @Sendable func scheduler() async throws -> [String] {
                var notified: [String] = []
                while true {
                    let batch: [String] = try await database.withTransaction { tx throws in
                        let cases = try await tx.overdueCMECases(dueOnOrBefore: day("2026-09-28"), limit: 3)
                        for item in cases {
                            try await tx.enqueue(
                                notificationId: "cme-overdue|\(item.caseId)", topic: "frontdoor.early-help.\(item.unitId).v1",
                                key: item.caseId, payload: Data()
                            )
                        }
                        try await Task.sleep(for: .milliseconds(5))
                        #expect(try await tx.markOverdueNotified(caseIds: cases.map(\.caseId)) == cases.count)
                        return cases.map(\.caseId)
                    }
                    if batch.isEmpty { return notified }
                    notified += batch
                }
            }
            async let a = scheduler()
            async let b = scheduler()
            let (fromA, fromB) = try await (a, b)
            #expect((fromA + fromB).sorted() == due.sorted())
            #expect(Set(fromA).isDisjoint(with: fromB))
            let unsent = try await database.withTransaction { tx throws in try await tx.unsentCount() }
            #expect(unsent == due.count)
        }
    }
}
