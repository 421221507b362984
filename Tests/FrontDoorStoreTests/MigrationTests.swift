import PostgresNIO
import Testing

@testable import FrontDoorStore

@Suite("Migrations", .timeLimit(.minutes(2)))
struct MigrationTests {
    static let expectedTables: Set<String> = [
        "schema_migrations", "schools", "pupils", "mark_log", "mark_sources", "pupil_year_attendance", "exclusions",
        "referrals", "cases", "officer_tasks", "enforcement_reviews", "enforcement_decisions", "rule_state",
        "outbox", "consumer_offsets", "event_claims", "event_topics", "rejected_events", "audit_log", "roll_changes",
        "enrolment_states", "gateway_clients", "penalty_checkpoints",
    ]

    @Test("migrating twice applies everything once, then nothing")
    func migrateTwiceIsANoOp() async throws {
        try await TestDatabase.with(migrate: false) { database in
            let migrator = Migrator()
            #expect(try await migrator.currentVersion(client: database.client, logger: TestDatabase.logger) == 0)

            let first = try await database.migrate()
            #expect(first.applied.map(\.version) == Migration.all.map(\.version))
            #expect(first.version == FrontDoorStore.schemaVersion)

            let second = try await database.migrate()
            #expect(second.applied.isEmpty)
            #expect(second.version == FrontDoorStore.schemaVersion)
            #expect(!second.isAheadOfThisBuild)

            let recorded = try await Self.recordedVersions(database)
            #expect(recorded == Migration.all.map(\.version))
            #expect(try await Self.tables(database) == Self.expectedTables)
        }
    }

    @Test("two migrators at once both succeed and apply each migration exactly once")
    func concurrentMigrators() async throws {
        try await TestDatabase.with(migrate: false) { database in
            // A second pool, as a second replica would have.
            try await TestDatabase.withRunning(database.configuration) { replica in
                async let a = database.migrate()
                async let b = replica.migrate()
                let (first, second) = try await (a, b)
                let applied = (first.applied + second.applied).map(\.version).sorted()
                #expect(applied == Migration.all.map(\.version))
                #expect(first.version == FrontDoorStore.schemaVersion)
                #expect(second.version == FrontDoorStore.schemaVersion)
            }
            #expect(try await Self.recordedVersions(database) == Migration.all.map(\.version))
            #expect(try await Self.tables(database) == Self.expectedTables)
        }
    }

    @Test("a history that disagrees with this build is refused")
    func divergentHistoryIsRefused() async throws {
        try await TestDatabase.with { database in
            try await database.client.query("UPDATE schema_migrations SET name = 'something-else' WHERE version = 1")
            let error = await #expect(throws: StoreError.self) { try await database.migrate() }
            #expect(error?.code == .migration)
        }
    }

    @Test("a database migrated by a newer build is reported, not broken")
    func newerSchemaIsReported() async throws {
        try await TestDatabase.with { database in
            let next = FrontDoorStore.schemaVersion + 1
            try await database.client.query("INSERT INTO schema_migrations (version, name) VALUES (\(next), 'future')")
            let result = try await database.migrate()
            #expect(result.applied.isEmpty)
            #expect(result.version == next)
            #expect(result.isAheadOfThisBuild)
        }
    }

    @Test("migrations are numbered upwards from 1 (gaps allowed) and each has statements")
    func migrationListIsWellFormed() {
        // Versions increase from 1; gaps are allowed (branches number their migrations apart).
        #expect(Migration.all.first?.version == 1)
        #expect(zip(Migration.all, Migration.all.dropFirst()).allSatisfy { $0.version < $1.version })
        #expect(Migration.all.allSatisfy { !$0.statements.isEmpty })
        #expect(Set(Migration.all.map(\.name)).count == Migration.all.count)
    }

    static func recordedVersions(_ database: FrontDoorDatabase) async throws -> [Int] {
        var versions: [Int] = []
        for try await version in try await database.client.query("SELECT version FROM schema_migrations ORDER BY version")
            .decode(Int.self)
        {
            versions.append(version)
        }
        return versions
    }

    static func tables(_ database: FrontDoorDatabase) async throws -> Set<String> {
        var tables: Set<String> = []
        for try await name in try await database.client.query(
            // Partitions (of mark_log) are not tables of their own here.
            """
            SELECT t.table_name::text FROM information_schema.tables t
            WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
                AND NOT (SELECT c.relispartition FROM pg_class c WHERE c.oid = ('public.' || t.table_name)::regclass)
            """
        ).decode(String.self) {
            tables.insert(name)
        }
        return tables
    }
}
