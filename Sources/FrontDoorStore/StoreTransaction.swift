import Foundation
import Logging
import PostgresNIO

/// One open database transaction, with frontdoor's repository methods.
///
/// Get one from ``FrontDoorDatabase/withTransaction(readOnly:isolation:file:line:_:)``. Every
/// method runs on the transaction's single connection, so call them one after another (not
/// concurrently) and never keep the value after the closure returns.
///
/// Methods throw ``StoreError``. Repository methods live in `StoreTransaction+<Concern>.swift`.
public struct StoreTransaction: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs `body` inside a savepoint: if it throws, only its changes are undone and the
    /// transaction stays usable; the error is rethrown. Savepoints nest.
    ///
    /// Use it around a step that may fail on its own data (so the worker can dead-letter one
    /// event and keep the batch); each savepoint costs a round trip or two.
    public func withSavepoint<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (StoreTransaction) async throws -> sending Result
    ) async throws -> sending Result {
        // PostgreSQL resolves a savepoint name to the most recent one, so one fixed name nests.
        try await self.execute("SAVEPOINT frontdoor_step", "savepoint")
        let value: Result
        do {
            value = try await body(self)
        } catch {
            try await self.execute("ROLLBACK TO SAVEPOINT frontdoor_step", "rollback to savepoint")
            try await self.execute("RELEASE SAVEPOINT frontdoor_step", "release savepoint")
            throw error
        }
        try await self.execute("RELEASE SAVEPOINT frontdoor_step", "release savepoint")
        return value
    }

    // MARK: Query helpers

    /// Runs a statement and discards its rows; returns the number of rows it affected.
    @discardableResult
    func execute(_ query: PostgresQuery, _ what: String, file: String = #fileID, line: Int = #line) async throws -> Int {
        do {
            return try await self.connection.guardedQuery(query, logger: self.logger, file: file, line: line).count
        } catch {
            throw StoreError.translate(error, reason: what, file: file, line: line)
        }
    }

    /// Runs a query and collects its rows (the store's queries return bounded result sets).
    func rows(
        _ query: PostgresQuery, _ what: String, file: String = #fileID, line: Int = #line
    ) async throws
        -> [PostgresRow]
    {
        do {
            return try await self.connection.guardedQuery(query, logger: self.logger, file: file, line: line)
        } catch {
            throw StoreError.translate(error, reason: what, file: file, line: line)
        }
    }

    /// Runs a query and maps each row, turning decoding failures into ``StoreError/Code/decoding``.
    func map<T>(
        _ query: PostgresQuery,
        _ what: String,
        file: String = #fileID,
        line: Int = #line,
        _ transform: (PostgresRandomAccessRow) throws -> T
    ) async throws -> [T] {
        let rows = try await self.rows(query, what, file: file, line: line)
        do {
            return try rows.map { try transform($0.makeRandomAccess()) }
        } catch {
            throw StoreError(code: .decoding, reason: what, underlying: error, file: file, line: line)
        }
    }

    /// Runs a statement that returns a row count in `RETURNING 1` style and counts the rows.
    func count(_ query: PostgresQuery, _ what: String, file: String = #fileID, line: Int = #line) async throws -> Int {
        try await self.execute(query, what, file: file, line: line)
    }
}

extension PostgresRandomAccessRow {
    /// Decodes the named column.
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }
}

/// JSON helpers for `jsonb` columns: the store binds JSON as text and casts it, and reads it
/// back as text, so callers handle plain `Data` (or a Codable value) and no JSON library type.
enum JSONText {
    static func string(_ data: Data) throws -> String {
        guard let text = String(data: data, encoding: .utf8) else {
            throw StoreError(code: .query, reason: "JSON must be UTF-8")
        }
        return text
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        do {
            return try Self.string(encoder.encode(value))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .query, reason: "encoding JSON failed", underlying: error)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(T.self, from: Data(text.utf8))
        } catch {
            throw StoreError(code: .decoding, reason: "decoding stored JSON failed", underlying: error)
        }
    }
}
