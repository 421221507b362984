import ArgumentParser
import Foundation
import FrontDoorStore
import Logging

/// `frontdoor migrate`: brings the PostgreSQL schema up to date.
///
/// Safe to run repeatedly and from several replicas at once (see `Migrator`). Exits 0 when the
/// schema is current afterwards, 1 with a one-line reason on stderr otherwise.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending PostgreSQL schema migrations.",
        discussion: """
            Reads the database URL from FRONTDOOR_DATABASE_URL unless --database-url is given, e.g.
            postgres://user:password@host:5432/frontdoor?sslmode=verify-full&sslrootcert=/etc/frontdoor/pg-ca.crt
            (FRONTDOOR_DATABASE_SSLROOTCERT names the CA file when the URL does not).
            """
    )

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (default: $FRONTDOOR_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Give up after this many seconds if the database cannot be reached or the lock is held.")
    var timeout: Int = 120

    private var resolvedURL: String? {
        self.databaseURL ?? ProcessInfo.processInfo.environment["FRONTDOOR_DATABASE_URL"]
    }

    func validate() throws {
        guard let url = self.resolvedURL, !url.isEmpty else {
            throw ValidationError("Set FRONTDOOR_DATABASE_URL or pass --database-url.")
        }
        guard self.timeout > 0 else { throw ValidationError("--timeout must be positive.") }
    }

    func run() async throws {
        let logger = LogSetup.logger("frontdoor.migrate", atLeast: .warning)  // this command prints its own summary
        let configuration: DatabaseConfiguration
        do {
            configuration = try DatabaseConfiguration(url: self.resolvedURL ?? "")
                .withRootCertificate(ProcessInfo.processInfo.environment["FRONTDOOR_DATABASE_SSLROOTCERT"])
            try configuration.checkRootCertificate()
        } catch {
            throw ValidationError("Invalid database settings: \(error.reason).")
        }
        // Never print the URL: it holds the password.
        let target = "\(configuration.host):\(configuration.port)/\(configuration.database)"
        let database = FrontDoorDatabase(configuration: configuration, logger: logger)
        let timeout = self.timeout

        let result: Migrator.Result
        do {
            result = try await withThrowingTaskGroup(of: Migrator.Result?.self) { group in
                group.addTask {
                    await database.run()
                    return nil
                }
                group.addTask { try await database.migrate() }
                group.addTask {
                    try await Task.sleep(for: .seconds(timeout))
                    throw MigrateTimeout()
                }
                while let next = try await group.next() {
                    if let result = next {
                        group.cancelAll()
                        return result
                    }
                }
                throw MigrateTimeout()
            }
        } catch is MigrateTimeout {
            // The pool only waits; one direct connection says why (a TLS certificate refused, say).
            let why: String
            do {
                try await FrontDoorDatabase.checkConnection(configuration, logger: logger)
                why = "another migrator still running"
            } catch {
                why = error.reason
            }
            Self.printError("gave up after \(timeout) s: PostgreSQL at \(target): \(why)")
            throw ExitCode.failure
        } catch let error as StoreError {
            let what = error.isUnavailable ? "cannot reach PostgreSQL at \(target)" : "migration of \(target) failed"
            Self.printError("\(what): \(error)")
            throw ExitCode.failure
        }

        for migration in result.applied {
            print("Applied migration \(migration.version) \(migration.name)")
        }
        if result.applied.isEmpty {
            print("Schema of \(target) is current at version \(result.version); nothing to apply.")
        } else {
            print("Schema of \(target) is now at version \(result.version).")
        }
        if result.isAheadOfThisBuild {
            print("Note: the database is at version \(result.version); this build knows \(result.latestKnownVersion).")
        }
    }

    private static func printError(_ message: String) {
        FileHandle.standardError.write(Data("frontdoor migrate: \(message)\n".utf8))
    }
}

private struct MigrateTimeout: Error {}
