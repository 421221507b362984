import PostgresNIO

/// An error from the store, classified so a worker can decide what to do with it.
///
/// ``description`` never contains personal data: it names the code, the SQLSTATE, the
/// constraint (if any) and where in the store the error arose, never a bound value, a row
/// or the server's message text (PostgreSQL echoes key values in messages such as
/// "Key (upn)=(…) already exists"). The wrapped driver error is kept in ``underlying`` for
/// debugging; do not log it (`PSQLError`'s `debugDescription` prints the query's binds).
///
/// - ``Code/unavailable``: the database could not be reached or the connection broke (refused,
///   closed, reset, server shutting down, the pool's circuit breaker open). Pause consuming and
///   retry the whole batch with backoff; nothing of a failed transaction was kept, except that a
///   connection lost during `COMMIT` leaves the outcome unknown, which the stored offsets and
///   the `processed_events` claims make harmless.
/// - ``Code/conflict``: a serialization failure or deadlock (SQLSTATE 40001, 40P01), or a lock
///   wait that timed out (55P03). Retry the batch.
/// - ``Code/query``: a genuine error in a statement (a constraint, a type, a bug). Retrying the
///   same input fails again.
/// - ``Code/invalidConfiguration``, ``Code/decoding``, ``Code/migration``: see each code.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is. Compare errors by code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case unavailable, conflict, query, invalidConfiguration, decoding, migration
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The database is unreachable or the connection was lost. Pause and retry with backoff.
        public static let unavailable = Code(.unavailable)
        /// Serialization failure, deadlock or lock timeout. Retry the transaction.
        public static let conflict = Code(.conflict)
        /// A statement failed for a reason retrying won't fix.
        public static let query = Code(.query)
        /// The database URL or configuration is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A row could not be decoded into a record (a schema/code mismatch).
        public static let decoding = Code(.decoding)
        /// The schema is newer than this build knows, or a migration failed.
        public static let migration = Code(.migration)

        public var description: String { "\(self.base)" }
    }

    /// The classification of this error.
    public let code: Code
    /// The PostgreSQL SQLSTATE when the server reported the error, e.g. `"23505"`.
    public let sqlState: String?
    /// The constraint the server named, e.g. `"outbox_pkey"`. Names only, never values.
    public let constraint: String?
    /// A short, data-free explanation written by the store.
    public let reason: String
    /// `file:line` in the store where the error arose.
    public let location: String
    /// The original error. May contain personal data in its debug description: do not log it.
    public let underlying: (any Error)?

    init(
        code: Code,
        reason: String,
        sqlState: String? = nil,
        constraint: String? = nil,
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.reason = reason
        self.sqlState = sqlState
        self.constraint = constraint
        self.underlying = underlying
        self.location = "\(file):\(line)"
    }

    /// Whether the database is unavailable (pause and retry with backoff).
    public var isUnavailable: Bool { self.code == .unavailable }

    /// Whether retrying the same transaction may succeed (``Code/unavailable`` or ``Code/conflict``).
    public var isRetryable: Bool { self.code == .unavailable || self.code == .conflict }

    public var description: String {
        var text = "StoreError.\(self.code): \(self.reason)"
        if let sqlState { text += " (SQLSTATE \(sqlState)" + (self.constraint.map { ", constraint \($0)" } ?? "") + ")" }
        return text + " at \(self.location)"
    }

    /// Whether `error` (thrown by the store, PostgresNIO or its pool) means the database is unavailable.
    public static func isDatabaseUnavailable(_ error: any Error) -> Bool {
        Self.wrap(error, reason: "").code == .unavailable
    }

    /// What the store throws for an error from the driver: cancellation stays a
    /// `CancellationError` (a worker shutting down must not mistake it for a bad event), anything
    /// else becomes a ``StoreError``.
    static func translate(_ error: any Error, reason: String, file: String = #fileID, line: Int = #line) -> any Error {
        if error is CancellationError { return error }
        if let error = error as? PSQLError, error.code == .queryCancelled { return CancellationError() }
        // A lease given up because the task was cancelled (`ConnectionPoolError.requestCancelled`).
        if Task.isCancelled, String(reflecting: type(of: error)).hasSuffix("ConnectionPoolError") { return CancellationError() }
        return Self.wrap(error, reason: reason, file: file, line: line)
    }

    /// Wraps any error from the driver into a ``StoreError``; a ``StoreError`` passes through unchanged.
    static func wrap(_ error: any Error, reason: String, file: String = #fileID, line: Int = #line) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? PostgresTransactionError {
            // Thrown by PostgresNIO's own withTransaction; unwrap to the first error it carries.
            if let inner = error.beginError ?? error.closureError ?? error.commitError ?? error.rollbackError {
                return Self.wrap(inner, reason: reason, file: file, line: line)
            }
        }
        if let error = error as? PSQLError {
            switch error.code {
            case .server:
                let sqlState = error.serverInfo?[.sqlState]
                let constraint = error.serverInfo?[.constraintName]
                let code = Self.classify(sqlState: sqlState)
                return StoreError(
                    code: code,
                    reason: reason,
                    sqlState: sqlState,
                    constraint: constraint,
                    underlying: error,
                    file: file,
                    line: line
                )
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                .sslUnsupported, .failedToAddSSLHandler, .messageDecodingFailure, .unexpectedBackendMessage:
                return StoreError(
                    code: .unavailable,
                    reason: "\(reason) (connection: \(error.code))",
                    underlying: error,
                    file: file,
                    line: line
                )
            case .queryCancelled:
                return StoreError(code: .unavailable, reason: "\(reason) (cancelled)", underlying: error, file: file, line: line)
            case .unsupportedAuthMechanism, .authMechanismRequiresPassword, .saslError:
                return StoreError(
                    code: .invalidConfiguration,
                    reason: "\(reason) (authentication: \(error.code))",
                    underlying: error,
                    file: file,
                    line: line
                )
            default:
                return StoreError(code: .query, reason: "\(reason) (\(error.code))", underlying: error, file: file, line: line)
            }
        }
        if error is PostgresDecodingError {
            return StoreError(code: .decoding, reason: reason, underlying: error, file: file, line: line)
        }
        // The pool's `ConnectionPoolError` lives in `_ConnectionPoolModule`, which this target does
        // not import (an underscored module of postgres-nio); its circuit breaker trips when no
        // connection could be made for 60 s, and `poolShutdown` follows `run()` ending. NIO's
        // connect errors (refused, timed out, reset) reach us unwrapped too. All mean "unavailable".
        let typeName = String(reflecting: type(of: error))
        if typeName.hasSuffix("ConnectionPoolError") || error is IOError || error is ChannelError
            || typeName.contains("NIOConnectionError") || typeName.contains("SocketAddressError")
        {
            return StoreError(code: .unavailable, reason: "\(reason) (\(typeName))", underlying: error, file: file, line: line)
        }
        return StoreError(code: .query, reason: "\(reason) (\(typeName))", underlying: error, file: file, line: line)
    }

    /// SQLSTATE classes: 08 connection exception, 57P01–57P03 shutdown / cannot connect now,
    /// 53 insufficient resources (too many connections, disk full) are outages, and so are
    /// 57014 (a `statement_timeout`) and 25P03 (an `idle_in_transaction_session_timeout`);
    /// 40001/40P01 and 55P03 (also a `lock_timeout`) are conflicts worth retrying.
    static func classify(sqlState: String?) -> Code {
        guard let sqlState else { return .query }
        if sqlState.hasPrefix("08") || sqlState.hasPrefix("53") || ["57P01", "57P02", "57P03"].contains(sqlState) {
            return .unavailable
        }
        if ["40001", "40P01", "55P03"].contains(sqlState) { return .conflict }
        // statement_timeout (57014, query_canceled) and idle_in_transaction_session_timeout
        // (25P03): the server or a lock did not answer in time, worth retrying like an outage.
        if ["57014", "25P03"].contains(sqlState) { return .unavailable }
        return .query
    }
}
