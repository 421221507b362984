import Foundation
import PostgresNIO
import Testing

@testable import FrontDoorStore

/// Migration 13 (issue 10 item 4): the mark log's one index is a non-unique B-tree on the UPN,
/// so nothing refuses a second row of one event; the reads take one mark per slot.
@Suite("Mark log index", .timeLimit(.minutes(3)))
struct MarkLogIndexTests {
    static let upn = "B886200126001"

    /// The mark log's indexes (on the partitioned table and on one partition), as `pg_indexes` has them.
    static func indexes(_ database: FrontDoorDatabase) async throws -> [String] {
        try await database.client.query(
            """
            SELECT indexdef FROM pg_indexes
            WHERE schemaname = current_schema() AND tablename IN ('mark_log', 'mark_log_2026') ORDER BY tablename, indexname
            """
        ).collect().map { try $0.decode(String.self) }
    }

    @Test("after migrating, the mark log has one index, on the UPN alone, non-unique and deduplicated, on every partition")
    func oneNarrowIndex() async throws {
        try await TestDatabase.with { database in
            let indexes = try await Self.indexes(database)
            #expect(
                indexes == [
                    "CREATE INDEX mark_log_upn_idx ON ONLY public.mark_log USING btree (upn) WITH (deduplicate_items='on')",
                    "CREATE INDEX mark_log_2026_upn_idx ON public.mark_log_2026 USING btree (upn) WITH (deduplicate_items='on')",
                ])
        }
    }

    /// A term's marks for one pupil: both sessions, some absences, an amendment and a late mark.
    static func marks() -> [MarkRecord] {
        let codes = ["/", "\\", "O", "/", "I", "L", "/", "G"]
        var marks: [MarkRecord] = []
        for d in 0..<20 {
            let date = StoreDate(daysSince1970: day("2026-09-14").daysSince1970 + d)
            for (s, session) in ["AM", "PM"].enumerated() {
                let code = codes[(d * 2 + s) % codes.count]
                let category = ["O": "unauthorised", "I": "authorised", "G": "unauthorised"][code] ?? "present"
                marks.append(
                    MarkRecord(
                        source: "urn:laestab:8862001", eventId: "e-\(d)-\(session)", upn: upn, laestab: "8862001", date: date,
                        session: session, code: code, category: category, minutesLate: code == "L" ? 7 : nil,
                        eventTime: .at(Double(d * 100 + s))))
            }
        }
        // An amendment of the first morning, later than the mark it replaces.
        marks.append(
            MarkRecord(
                source: "urn:laestab:8862001", eventId: "amend", upn: upn, laestab: "8862001", date: day("2026-09-14"),
                session: "AM", code: "M", category: "authorised", eventTime: .at(5_000)))
        return marks
    }

    /// What the store reports from the marks: the pupil's marks that count, their totals by
    /// category and the year's outcomes.
    static func figures(_ database: FrontDoorDatabase) async throws -> ([MarkRecord], [String: Int], YearOutcomes) {
        let (counted, totals) = try await database.withTransaction(readOnly: true) { tx in
            (
                try await tx.marksThatCount(upn: upn, from: day("2026-09-01"), through: day("2027-08-31")),
                try await tx.categoryTotals(upn: upn, from: day("2026-09-01"), through: day("2027-08-31"))
            )
        }
        let outcomes = try await database.withTransaction(readOnly: true) { tx in
            try await tx.prepareForReport()
            return try await tx.outcomes(
                OutcomesQuery(
                    academicYear: "2026/27", firstDay: day("2026-09-01"), lastDay: day("2027-08-31"), district: nil, cmeDeadlines: []))
        }
        return (counted, totals, outcomes)
    }

    @Test("one event stored twice (re-sent after its claim was purged) is two rows and changes no figure")
    func eventStoredTwiceChangesNothing() async throws {
        try await TestDatabase.with { database in
            try await database.withTransaction { tx throws in
                _ = try await tx.upsertSchools([
                    SchoolRecord(laestab: "8862001", name: "Ashford Primary", phase: "primary", district: "Ashford")
                ])
            }
            let marks = Self.marks()
            #expect(try await database.withTransaction { tx in try await tx.insertMarks(marks) } == marks.count)
            let once = try await Self.figures(database)
            #expect(once.0.count == 40 && once.0.first?.eventId == "amend")
            #expect(once.2.figures.attendance.sessionsRecorded == 40)
            #expect(once.2.figures.absenceReasons["M"] == 1)

            // Every mark again, the amendment too, as an MIS re-sending the term would.
            #expect(try await database.withTransaction { tx in try await tx.insertMarks(marks) } == marks.count)
            let rows = try await database.client.query("SELECT count(*)::int8 FROM mark_log").collect()
            #expect(try rows.first?.decode(Int.self) == marks.count * 2)
            let twice = try await Self.figures(database)
            #expect(twice.0 == once.0)
            #expect(twice.1 == once.1)
            #expect(twice.2 == once.2)
        }
    }

    @Test("one id stored twice at the same instant with different codes: the same mark counts whichever arrived first")
    func sameIdDifferentContentsIsDecidedByContent() async throws {
        try await TestDatabase.with { database in
            let first = AttendanceTests.mark("reused", upn: "B886200126001", code: "I", category: "authorised", at: 7)
            let second = AttendanceTests.mark("reused", upn: "B886200126001", code: "O", category: "unauthorised", at: 7)
            let other = "K93800000001Z"
            var a = first
            a.upn = other
            var b = second
            b.upn = other
            _ = try await database.withTransaction { tx in try await tx.insertMarks([first, b]) }
            _ = try await database.withTransaction { tx in try await tx.insertMarks([second, a]) }
            let read = try await database.withTransaction(readOnly: true) { tx in
                try await tx.marksThatCount(upns: [Self.upn, other], from: day("2026-09-14"), through: day("2026-09-14"))
            }
            // The rules' own tie-break (AttendanceRules.supersedes): the larger code.
            #expect(read[Self.upn]?.map(\.code) == ["O"])
            #expect(read[other]?.map(\.code) == ["O"])
            let view = try await database.client.query(
                "SELECT code FROM marks_that_count ORDER BY upn"
            ).collect().map { try $0.decode(String.self) }
            #expect(view == ["O", "O"])
        }
    }

    @Test("at the same instant the larger id counts, compared as text, whether it is a UUID or not (as the rules compare)")
    func idsCompareAsTextAcrossTheirTwoColumns() async throws {
        try await TestDatabase.with { database in
            // "f…" (a UUID) > "0-text" > "0" …: the rules' string order picks the UUID here,
            // the text id in the second pupil's slot ("zz-text" > "0b5c…").
            let uuidWins = "fb5c4b1e-7d0a-4f5e-9a3b-000000000001"
            let uuidLoses = "0b5c4b1e-7d0a-4f5e-9a3b-000000000001"
            let marks = [
                AttendanceTests.mark(uuidWins, upn: "B886200126001", code: "O", category: "unauthorised", at: 7),
                AttendanceTests.mark("0-text", upn: "B886200126001", code: "I", category: "authorised", at: 7),
                AttendanceTests.mark(uuidLoses, upn: "K93800000001Z", code: "O", category: "unauthorised", at: 7),
                AttendanceTests.mark("zz-text", upn: "K93800000001Z", code: "I", category: "authorised", at: 7),
            ]
            _ = try await database.withTransaction { tx in try await tx.insertMarks(marks) }
            let read = try await database.withTransaction(readOnly: true) { tx in
                try await tx.marksThatCount(
                    upns: ["B886200126001", "K93800000001Z"], from: day("2026-09-14"), through: day("2026-09-14"))
            }
            #expect(read["B886200126001"]?.map(\.eventId) == [uuidWins])
            #expect(read["K93800000001Z"]?.map(\.eventId) == ["zz-text"])
        }
    }

    @Test("a mark written as the worker writes them (a day's batch at a time) takes under 100 bytes, table plus index")
    func underAHundredBytesPerMark() async throws {
        try await TestDatabase.with { database in
            try await insertPresentDays(40, into: database)
            let bytes = try await AttendanceBenchData.bytesPerMark(database)
            #expect(bytes.marks == 80_000)
            // Migration 9's index alone took about 110 bytes a mark written this way; (upn) about 10.
            #expect(bytes.indexes < 15, "\(bytes)")
            #expect(bytes.table + bytes.indexes < 100, "\(bytes)")
        }
    }

    @Test("claims take the compact form: a canonical UUID id as a uuid, any other id as text, each claimed once until released")
    func claimsCompactForm() async throws {
        try await TestDatabase.with { database in
            let ids = ["b0f6c1d2-4a7e-4c55-9d0e-1f2a3b4c5d6e", "B0F6C1D2-4A7E-4C55-9D0E-1F2A3B4C5D6E", "plain-id"]
            let claims = ids.enumerated().map { i, id in
                EventClaim(source: "urn:laestab:8862001", id: id, topic: "frontdoor.attendance.v1", partition: 2, offset: Int64(i))
            }
            let first = try await database.withTransaction { tx in try await tx.claimEvents(claims + [claims[0]]) }
            #expect(first == Set(claims.map(\.key)))
            let again = try await database.withTransaction { tx in
                try await tx.claimEvents(claims + [EventClaim(source: "urn:other", id: ids[0], topic: "t", partition: 0, offset: 9)])
            }
            #expect(again == [EventKey(source: "urn:other", id: ids[0])])
            let columns = try await database.client.query(
                "SELECT count(event_uuid)::int8, count(event_text)::int8 FROM event_claims"
            ).collect()
            let (uuids, texts) = try #require(columns.first).decode((Int, Int).self)
            #expect(uuids == 2 && texts == 2)
            // The view keeps the old columns.
            let view = try await database.client.query(
                "SELECT concat_ws(' ', source, event_id, topic, partition, \"offset\") FROM processed_events ORDER BY 1"
            ).collect().map { try $0.decode(String.self) }
            #expect(
                view == [
                    "urn:laestab:8862001 B0F6C1D2-4A7E-4C55-9D0E-1F2A3B4C5D6E frontdoor.attendance.v1 2 1",
                    "urn:laestab:8862001 b0f6c1d2-4a7e-4c55-9d0e-1f2a3b4c5d6e frontdoor.attendance.v1 2 0",
                    "urn:laestab:8862001 plain-id frontdoor.attendance.v1 2 2", "urn:other b0f6c1d2-4a7e-4c55-9d0e-1f2a3b4c5d6e t 0 9",
                ])
            let processed = try await database.withTransaction(readOnly: true) { tx in
                var processed: [Bool] = []
                for id in ids { processed.append(try await tx.isProcessed(source: "urn:laestab:8862001", id: id)) }
                return processed
            }
            #expect(processed == [true, true, true])
            try await database.withTransaction { tx in try await tx.releaseClaims([claims[0].key, claims[2].key]) }
            let released = try await database.withTransaction { tx in try await tx.claimEvents(claims) }
            #expect(released == [claims[0].key, claims[2].key])
        }
    }

    @Test("batches from known sources and topics draw no new ids (an id drawn per batch would run the sequences out)")
    func knownNamesDrawNoIds() async throws {
        try await TestDatabase.with { database in
            for batch in 0..<20 {
                let claims = (0..<3).map { i in
                    EventClaim(
                        source: "urn:laestab:886200\(i)", id: "c-\(batch)-\(i)", topic: "frontdoor.attendance.v1", partition: 0,
                        offset: Int64(batch * 3 + i))
                }
                _ = try await database.withTransaction { tx in try await tx.claimEvents(claims) }
                let marks = (0..<3).map { i in
                    var m = AttendanceTests.mark("m-\(batch)-\(i)", upn: Self.upn, code: "/", at: Double(batch))
                    m.source = "urn:laestab:886200\(i)"
                    return m
                }
                _ = try await database.withTransaction { tx in try await tx.insertMarks(marks) }
            }
            let drawn = try await database.client.query(
                """
                SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence('mark_sources', 'source_id')), 0)::int8,
                    coalesce(pg_sequence_last_value(pg_get_serial_sequence('event_topics', 'topic_id')), 0)::int8
                """
            ).collect()
            let (sources, topics) = try #require(drawn.first).decode((Int, Int).self)
            #expect(sources == 3 && topics == 1)
        }
    }

    @Test("a claim written as the worker writes them (batches of 500, UUID ids) takes under 150 bytes, table plus index")
    func claimBytes() async throws {
        try await TestDatabase.with { database in
            for batch in 0..<80 {
                let claims = (0..<500).map { i in
                    EventClaim(
                        source: "urn:laestab:88620\(10 + i % 30)", id: UUID().uuidString.lowercased(), topic: "frontdoor.attendance.v1",
                        partition: Int32(i % 6), offset: Int64(batch * 500 + i))
                }
                _ = try await database.withTransaction { tx in try await tx.claimEvents(claims) }
            }
            try await database.client.query("VACUUM ANALYZE event_claims")
            let bytes = try await AttendanceBenchData.bytesPerMark(database)
            // 264 bytes a claim before migration 13 (bench attendance); 140 now on 40,000.
            #expect(bytes.processedEvents > 0 && bytes.processedEvents < 150, "\(bytes)")
        }
    }

    @Test("migration 13 keeps the marks a version-11 database holds and swaps the index")
    func migrationKeepsStoredMarks() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let before = Migrator(migrations: Migration.all.filter { $0.version <= 11 })
            _ = try await before.migrate(client: database.client, logger: TestDatabase.logger)
            let marks = Self.marks()
            _ = try await database.withTransaction { tx in try await tx.insertMarks(marks) }
            try await database.client.query(
                """
                INSERT INTO processed_events (source, event_id, topic, partition, "offset", processed_at)
                VALUES ('urn:laestab:8862001', 'b0f6c1d2-4a7e-4c55-9d0e-1f2a3b4c5d6e', 'frontdoor.attendance.v1', 3, 17, '2026-09-14 09:05Z'),
                       ('urn:agency:police', 'ref-1', 'frontdoor.referrals.v1', 0, 4, '2026-09-15 10:00Z')
                """)
            let claimsQuery =
                "SELECT concat_ws(' ', source, event_id, topic, partition, \"offset\", processed_at) FROM processed_events ORDER BY 1"
            let expectedClaims = try await database.client.query(PostgresQuery(unsafeSQL: claimsQuery)).collect().map {
                try $0.decode(String.self)
            }
            #expect(expectedClaims.count == 2)
            let old = try await Self.indexes(database)
            #expect(old.count == 2 && old.allSatisfy { $0.contains("UNIQUE") && $0.contains("INCLUDE (code, category)") })
            let expected = try await database.withTransaction(readOnly: true) { tx in
                try await tx.marksThatCount(upn: Self.upn, from: day("2026-09-01"), through: day("2027-08-31"))
            }
            _ = try await database.migrate()
            let after = try await database.withTransaction(readOnly: true) { tx in
                try await tx.marksThatCount(upn: Self.upn, from: day("2026-09-01"), through: day("2027-08-31"))
            }
            #expect(after == expected && after.count == 40)
            let new = try await Self.indexes(database)
            #expect(new.count == 2 && new.allSatisfy { !$0.contains("UNIQUE") && $0.hasSuffix("USING btree (upn) WITH (deduplicate_items='on')") })
            // The claims are converted, every column kept, and still refuse their events.
            let claims = try await database.client.query(PostgresQuery(unsafeSQL: claimsQuery)).collect().map {
                try $0.decode(String.self)
            }
            #expect(claims == expectedClaims)
            let fresh = try await database.withTransaction { tx in
                try await tx.claimEvents([
                    EventClaim(source: "urn:agency:police", id: "ref-1", topic: "frontdoor.referrals.v1", partition: 0, offset: 5),
                    EventClaim(
                        source: "urn:laestab:8862001", id: "b0f6c1d2-4a7e-4c55-9d0e-1f2a3b4c5d6e", topic: "frontdoor.attendance.v1",
                        partition: 3, offset: 18),
                ])
            }
            #expect(fresh.isEmpty)
        }
    }
}
