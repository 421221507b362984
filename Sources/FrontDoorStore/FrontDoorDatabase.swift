import Logging
import PostgresNIO

/// frontdoor's PostgreSQL database: a connection pool, migrations and transactions.
///
/// ```swift
/// let database = try FrontDoorDatabase(url: env["FRONTDOOR_DATABASE_URL"]!, logger: logger)
/// // Run the pool for the process's lifetime: add `database.client` to the ServiceGroup
/// // (PostgresClient is a swift-service-lifecycle Service) or run `database.run()` in a task.
/// try await database.migrate()
/// try await database.withTransaction { tx in
///     let fresh = try await tx.claimEvents(batch)
///     try await tx.insertMarks(marks.filter { fresh.contains($0.eventKey) })
///     try await tx.saveOffsets(group: group, topic: topic, [(0, 42)], expecting: [0: 17])
/// }
/// ```
///
/// - Important: Nothing can be leased until ``run()`` (or the client's own `run()` in a
///   `ServiceGroup`) is running; calls wait for it. Cancelling it closes the pool.
public final class FrontDoorDatabase: Sendable {
    /// The underlying pool. A `ServiceLifecycle.Service`: put it first in the `ServiceGroup` so it
    /// stops last, after the workers that use it.
    public let client: PostgresClient
    /// Where this database lives.
    public let configuration: DatabaseConfiguration
    /// The store's own log messages. Never carries personal data.
    let logger: Logger
    /// Handed to PostgresNIO for queries; capped at `.debug` because the driver's `.trace`
    /// messages print backend messages, including row data.
    let driverLogger: Logger

    /// Creates the pool (it connects lazily, once ``run()`` is running).
    ///
    /// - Parameters:
    ///   - configuration: Server, credentials, TLS and pool size.
    ///   - logger: For the store's and the pool's messages. Levels below `.debug` are raised to
    ///     `.debug` for the driver so that row data is never logged.
    public init(configuration: DatabaseConfiguration, logger: Logger = Logger(label: "frontdoor.store")) {
        self.configuration = configuration
        self.logger = logger
        var driverLogger = logger
        driverLogger.logLevel = max(logger.logLevel, .debug)
        self.driverLogger = driverLogger
        self.client = PostgresClient(configuration: configuration.clientConfiguration, backgroundLogger: driverLogger)
    }

    /// Creates the pool from a `postgres://user:password@host:port/database?sslmode=…` URL.
    ///
    /// - Throws: ``StoreError`` (``StoreError/Code/invalidConfiguration``) for a malformed URL.
    public convenience init(url: String, logger: Logger = Logger(label: "frontdoor.store")) throws(StoreError) {
        self.init(configuration: try DatabaseConfiguration(url: url), logger: logger)
    }

    /// Runs the connection pool until the calling task is cancelled (or, inside a `ServiceGroup`,
    /// until graceful shutdown). Call once.
    public func run() async {
        await self.client.run()
    }

    /// Applies pending migrations (see ``Migrator``). Safe to call from every replica at start-up.
    @discardableResult
    public func migrate(_ migrator: Migrator = Migrator()) async throws -> Migrator.Result {
        try await migrator.migrate(client: self.client, logger: self.driverLogger)
    }

    /// Runs `body` in one database transaction and commits it if `body` returns.
    ///
    /// If `body` throws, the transaction is rolled back and the error is rethrown unchanged (your
    /// own errors pass through; the store's are ``StoreError``). Errors leasing a connection,
    /// beginning or committing are thrown as ``StoreError``; check ``StoreError/isUnavailable``
    /// to pause and retry with backoff.
    ///
    /// After a statement fails inside the transaction PostgreSQL refuses further statements
    /// until rollback; to recover from one failing step and keep the rest of the batch, run that
    /// step in ``StoreTransaction/withSavepoint(_:)``.
    ///
    /// If the connection drops mid-transaction, the statement waiting on it fails with
    /// ``StoreError/Code/unavailable`` rather than hanging (see `guardedQuery`).
    ///
    /// When the database is down, the pool keeps trying to connect: a call waits up to the
    /// pool's circuit breaker (about 60 s) and then fails with ``StoreError/Code/unavailable``;
    /// while the breaker is open calls fail at once. Cancel the calling task for a shorter wait:
    /// cancellation is thrown as `CancellationError`, never as a ``StoreError``.
    ///
    /// - Parameters:
    ///   - readOnly: Start a `READ ONLY` transaction (reports, lookups).
    ///   - body: Uses the ``StoreTransaction``. It must not escape the closure.
    /// - Returns: What `body` returned, after the commit succeeded.
    public func withTransaction<Result>(
        readOnly: Bool = false,
        isolation: isolated (any Actor)? = #isolation,
        file: String = #fileID,
        line: Int = #line,
        _ body: (StoreTransaction) async throws -> sending Result
    ) async throws -> sending Result {
        try await Self.withTransaction(
            client: self.client,
            logger: self.driverLogger,
            readOnly: readOnly,
            isolation: isolation,
            file: file,
            line: line,
            body
        )
    }

    /// ``withTransaction(readOnly:isolation:file:line:_:)`` on any client (the ``Migrator`` uses it too).
    static func withTransaction<Result>(
        client: PostgresClient,
        logger: Logger,
        readOnly: Bool,
        isolation: isolated (any Actor)? = #isolation,
        file: String,
        line: Int,
        _ body: (StoreTransaction) async throws -> sending Result
    ) async throws -> sending Result {
        // A connection can die while idle in the pool (server restart, failover, idle kill) and
        // the pool may lease it once more before it notices. Nothing has happened yet when BEGIN
        // fails, so that case is retried on another connection, twice at most.
        var attempt = 1
        while true {
            do {
                return try await client.withConnection(isolation: isolation) { connection in
                    let transaction = StoreTransaction(connection: connection, logger: logger)
                    do {
                        try await transaction.execute(readOnly ? "BEGIN READ ONLY" : "BEGIN", "begin transaction")
                    } catch {
                        throw BeginError(error: error)
                    }
                    let value: Result
                    do {
                        value = try await body(transaction)
                    } catch {
                        do {
                            try await transaction.execute("ROLLBACK", "rollback")
                        } catch {
                            // The connection is broken or confused; the server rolls back when it goes.
                            // Never hand a connection that may still be in a transaction back to the pool.
                            try? await connection.close()
                        }
                        throw BodyError(error: error)
                    }
                    do {
                        try await transaction.execute("COMMIT", "commit", file: file, line: line)
                    } catch {
                        // A server error ends the transaction; anything else leaves the connection suspect.
                        if (error as? StoreError)?.sqlState == nil { try? await connection.close() }
                        throw error
                    }
                    return value
                }
            } catch let error as BeginError {
                guard attempt < 3, StoreError.isDatabaseUnavailable(error.error), !Task.isCancelled else {
                    throw StoreError.translate(error.error, reason: "begin transaction", file: file, line: line)
                }
                attempt += 1
                try await Task.sleep(for: .milliseconds(25 * attempt))
            } catch let error as BodyError {
                throw error.error
            } catch {
                throw StoreError.translate(error, reason: "transaction failed", file: file, line: line)
            }
        }
    }

    /// Marks a failure to begin, which is safe to retry on another connection.
    private struct BeginError: Error {
        let error: any Error
    }

    /// Carries an error thrown by the caller's closure past the lease/transaction error mapping.
    private struct BodyError: Error {
        let error: any Error
    }
}

extension FrontDoorDatabase {
    /// Opens one connection with `configuration` (outside any pool), runs `SELECT 1` and closes
    /// it: says why the pool cannot connect, which the pool itself only shows as waiting.
    ///
    /// - Throws: ``StoreError`` (``StoreError/Code/unavailable``) whose reason names a TLS
    ///   failure (an untrusted certificate or one for another host under `verify-full`) apart from
    ///   an unreachable server. Neither the URL nor the password appears in it.
    public static func checkConnection(
        _ configuration: DatabaseConfiguration,
        logger: Logger = Logger(label: "frontdoor.store")
    ) async throws(StoreError) {
        let target = configuration.redactedTarget
        let connectionTLS: PostgresConnection.Configuration.TLS
        do {
            connectionTLS = try configuration.tls.connectionTLS(rootCertificate: configuration.rootCertificate)
        } catch {
            // NIOSSL could not load the root certificate file.
            throw StoreError(code: .invalidConfiguration, reason: "TLS root certificate for \(target) cannot be loaded: \(error)")
        }
        var connection = PostgresConnection.Configuration(
            host: configuration.host, port: configuration.port, username: configuration.username,
            password: configuration.password, database: configuration.database, tls: connectionTLS)
        connection.options.connectTimeout = .seconds(Int64(configuration.connectTimeout.components.seconds))
        var driverLogger = logger
        driverLogger.logLevel = max(logger.logLevel, .debug)
        do {
            let opened = try await PostgresConnection.connect(configuration: connection, id: 0, logger: driverLogger)
            defer { Task { try? await opened.close() } }
            _ = try await opened.query("SELECT 1", logger: driverLogger)
        } catch {
            let cause = (error as? PSQLError)?.underlying ?? error
            if String(reflecting: type(of: cause)).hasPrefix("NIOSSL") {
                throw StoreError(
                    code: .unavailable,
                    reason: "TLS handshake with \(target) failed: the server's certificate is not trusted by sslrootcert "
                        + "or is not for this host (\(cause))",
                    underlying: error)
            }
            throw StoreError.wrap(error, reason: "cannot connect to \(target)")
        }
    }
}
