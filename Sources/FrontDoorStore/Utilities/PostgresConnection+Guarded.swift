import Logging
import PostgresNIO
import Synchronization

extension PostgresConnection {
    /// Runs a query and collects its rows, failing with ``StoreError/Code/unavailable`` instead of
    /// hanging when the connection is or becomes closed.
    ///
    /// Why: PostgresNIO 1.33.2 hands a query to its channel with `channel.write(task, promise: nil)`.
    /// If the server has closed the connection (restart, failover, `pg_terminate_backend`), the
    /// write fails inside the pipeline, nobody learns of it, and the query's result never
    /// arrives: the caller would wait forever and a worker could never notice the outage. So every
    /// query the store runs waits on its result *or* the connection closing, whichever comes
    /// first. One close callback is registered per connection (not per query), see
    /// ``ConnectionCloseWatch``.
    func guardedQuery(
        _ query: PostgresQuery,
        logger: Logger,
        file: String = #fileID,
        line: Int = #line
    ) async throws -> [PostgresRow] {
        let closed = StoreError(code: .unavailable, reason: "connection closed", file: file, line: line)
        guard !self.isClosed, let watch = ConnectionCloseWatch.watch(self) else { throw closed }
        let outcome = OnceContinuation<[PostgresRow]>()
        return try await withCheckedThrowingContinuation { continuation in
            outcome.set(continuation)
            guard let token = watch.register({ outcome.resume(throwing: closed) }) else {
                outcome.resume(throwing: closed)
                return
            }
            self.query(query, logger: logger, file: file, line: line).whenComplete { result in
                watch.unregister(token)
                switch result {
                case .success(let result): outcome.resume(returning: result.rows)
                case .failure(let error): outcome.resume(throwing: error)
                }
            }
        }
    }
}

/// Tracks, per open connection, the queries waiting on it, and fails them when it closes.
final class ConnectionCloseWatch: Sendable {
    private struct State {
        var closed = false
        var nextToken: UInt64 = 0
        var waiting: [UInt64: @Sendable () -> Void] = [:]
    }

    private static let watches = Mutex<[ObjectIdentifier: ConnectionCloseWatch]>([:])
    private let state = Mutex(State())

    /// The watch for `connection`, created (with one `closeFuture` callback) on first use.
    /// `nil` if the connection is already closed.
    static func watch(_ connection: PostgresConnection) -> ConnectionCloseWatch? {
        let key = ObjectIdentifier(connection)
        let (watch, isNew) = Self.watches.withLock { watches in
            if let watch = watches[key] { return (watch, false) }
            let watch = ConnectionCloseWatch()
            watches[key] = watch
            return (watch, true)
        }
        if isNew {
            // The entry goes when the connection closes; PostgresNIO closes every connection
            // before releasing it, so an identifier is never reused while its entry exists.
            connection.closeFuture.whenComplete { _ in
                Self.watches.withLock { _ = $0.removeValue(forKey: key) }
                watch.connectionClosed()
            }
        }
        return watch
    }

    /// Registers a callback run if the connection closes first; `nil` if it already has.
    func register(_ onClose: @escaping @Sendable () -> Void) -> UInt64? {
        self.state.withLock { state in
            guard !state.closed else { return nil }
            state.nextToken += 1
            state.waiting[state.nextToken] = onClose
            return state.nextToken
        }
    }

    func unregister(_ token: UInt64) {
        _ = self.state.withLock { $0.waiting.removeValue(forKey: token) }
    }

    private func connectionClosed() {
        let waiting = self.state.withLock { state in
            state.closed = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for onClose in waiting { onClose() }
    }
}

/// A continuation resumed once, by whichever of several racers finishes first.
final class OnceContinuation<Value: Sendable>: Sendable {
    private let state = Mutex<CheckedContinuation<Value, any Error>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, any Error>) {
        self.state.withLock { $0 = continuation }
    }

    func resume(returning value: Value) {
        self.take()?.resume(returning: value)
    }

    func resume(throwing error: any Error) {
        self.take()?.resume(throwing: error)
    }

    private func take() -> CheckedContinuation<Value, any Error>? {
        self.state.withLock { state in
            defer { state = nil }
            return state
        }
    }
}
