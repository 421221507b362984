import Logging
import PostgresNIO

/// Applies ``Migration``s that a database lacks, recording each in `schema_migrations`.
///
/// Safe to run repeatedly and from several replicas at once: every step runs in its own
/// transaction that first takes a transaction-scoped advisory lock
/// (`pg_advisory_xact_lock`), so concurrent migrators queue, and the one that gets the lock
/// second finds the step already recorded and skips it. Because the lock is
/// transaction-scoped, a migrator that dies releases it with its connection; there is no
/// session lock to leak into the connection pool.
public struct Migrator: Sendable {
    /// The outcome of ``migrate(client:logger:)``.
    public struct Result: Sendable {
        /// Migrations this call applied, in order (empty when the schema was current).
        public var applied: [Migration]
        /// The database's schema version afterwards.
        public var version: Int
        /// The newest version this build knows.
        public var latestKnownVersion: Int
        /// The database has migrations this build does not know (a newer build migrated it).
        public var isAheadOfThisBuild: Bool { self.version > self.latestKnownVersion }
    }

    /// Key of the advisory lock that serialises migrators ("frontdoo" in ASCII).
    static let lockKey: Int64 = 0x6672_6F6E_7464_6F6F

    /// The migrations to apply, ordered by version.
    public let migrations: [Migration]

    /// Creates a migrator. Versions must increase; gaps are allowed (branches number their
    /// migrations apart and merge in any order, so a build may lack a version another has).
    public init(migrations: [Migration] = Migration.all) {
        precondition(
            zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version },
            "migration versions must increase"
        )
        self.migrations = migrations
    }

    /// The newest version this build knows (0 with no migrations).
    public var latestKnownVersion: Int { migrations.last?.version ?? 0 }

    /// Brings the schema up to date.
    ///
    /// - Throws: ``StoreError``: ``StoreError/Code/unavailable`` when the database cannot be
    ///   reached, ``StoreError/Code/migration`` when the recorded history differs from this
    ///   build's (a version recorded under another name), or the failing statement's error.
    public func migrate(client: PostgresClient, logger: Logger) async throws -> Result {
        var applied: [Migration] = []
        while true {
            let step = try await self.applyNextStep(client: client, logger: logger)
            switch step {
            case .applied(let migration):
                applied.append(migration)
                logger.info(
                    "Applied migration",
                    metadata: ["db.migration.version": "\(migration.version)", "db.migration.name": "\(migration.name)"]
                )
            case .current(let version):
                if version > self.latestKnownVersion {
                    logger.warning(
                        "Database schema is newer than this build",
                        metadata: ["db.schema.version": "\(version)", "db.schema.known": "\(self.latestKnownVersion)"]
                    )
                }
                return Result(applied: applied, version: version, latestKnownVersion: self.latestKnownVersion)
            }
        }
    }

    /// The database's schema version (0 when never migrated).
    public func currentVersion(client: PostgresClient, logger: Logger) async throws -> Int {
        try await FrontDoorDatabase.withTransaction(client: client, logger: logger, readOnly: true, file: #fileID, line: #line) {
            tx in
            let exists = try await tx.rows("SELECT to_regclass('schema_migrations') IS NOT NULL", "find schema_migrations")
            guard try exists.first?.decode(Bool.self) == true else { return 0 }
            let rows = try await tx.rows("SELECT coalesce(max(version), 0) FROM schema_migrations", "read schema version")
            return try rows.first?.decode(Int.self) ?? 0
        }
    }

    private enum Step {
        case applied(Migration)
        case current(version: Int)
    }

    /// One transaction: take the lock, apply the first missing migration (or report the version).
    private func applyNextStep(client: PostgresClient, logger: Logger) async throws -> Step {
        try await FrontDoorDatabase.withTransaction(client: client, logger: logger, readOnly: false, file: #fileID, line: #line) {
            tx in
            // A migration may rebuild an index for minutes and wait for another migrator's lock:
            // the session's statement and lock timeouts (DatabaseConfiguration) do not apply to it.
            try await tx.execute("SET LOCAL statement_timeout = 0", "lift the statement timeout for migrations")
            try await tx.execute("SET LOCAL lock_timeout = 0", "lift the lock timeout for migrations")
            try await tx.execute("SELECT pg_advisory_xact_lock(\(Self.lockKey))", "take the migration lock")
            try await tx.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """,
                "create schema_migrations"
            )
            var recorded: [Int: String] = [:]
            for row in try await tx.rows("SELECT version, name FROM schema_migrations", "read schema_migrations") {
                let (version, name) = try row.decode((Int, String).self)
                recorded[version] = name
            }
            for migration in self.migrations {
                if let name = recorded[migration.version] {
                    guard name == migration.name else {
                        throw StoreError(
                            code: .migration,
                            reason: "schema_migrations records version \(migration.version) as '\(name)', "
                                + "this build calls it '\(migration.name)'"
                        )
                    }
                    continue
                }
                let what = "migration \(migration.version) (\(migration.name))"
                for statement in migration.statements {
                    try await tx.execute(PostgresQuery(unsafeSQL: statement), what)
                }
                try await tx.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    "record \(what)"
                )
                return .applied(migration)
            }
            return .current(version: recorded.keys.max() ?? 0)
        }
    }
}
