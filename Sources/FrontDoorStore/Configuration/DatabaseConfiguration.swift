import Foundation
import PostgresNIO

/// Where and how to connect to frontdoor's PostgreSQL database.
///
/// Usually made from `FRONTDOOR_DATABASE_URL` with ``init(url:)``:
/// `postgres://user:password@host:port/database?sslmode=verify-full&sslrootcert=/etc/frontdoor/pg-ca.crt`.
public struct DatabaseConfiguration: Sendable {
    /// TLS to the server, named after libpq's `sslmode`.
    public struct TLSMode: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case disable, prefer, require
            case verifyCA = "verify-ca"
            case verifyFull = "verify-full"
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Plain TCP (`sslmode=disable`, also `allow`).
        public static let disable = TLSMode(.disable)
        /// TLS if the server offers it, without certificate verification (`sslmode=prefer`, libpq's default).
        public static let prefer = TLSMode(.prefer)
        /// TLS required, without certificate verification (`sslmode=require`).
        public static let require = TLSMode(.require)
        /// TLS required, the chain verified against the system roots, the host name not (`sslmode=verify-ca`).
        public static let verifyCA = TLSMode(.verifyCA)
        /// TLS required, chain and host name verified (`sslmode=verify-full`).
        public static let verifyFull = TLSMode(.verifyFull)

        /// Parses a libpq `sslmode` value.
        public init?(sslmode: String) {
            switch sslmode.lowercased() {
            case "disable", "allow": self = .disable
            case "prefer": self = .prefer
            case "require": self = .require
            case "verify-ca": self = .verifyCA
            case "verify-full": self = .verifyFull
            default: return nil
            }
        }

        public var description: String { self.base.rawValue }

        /// The NIOSSL configuration: the chain is checked against `rootCertificate` (a PEM file)
        /// when one is given, else against the system's roots. As in libpq, `require` with a root
        /// certificate verifies the chain (like `verify-ca`).
        func clientTLS(rootCertificate: String?) -> PostgresClient.Configuration.TLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
            switch self.base {
            case .disable:
                return .disable
            case .prefer:
                tls.certificateVerification = .none
                return .prefer(tls)
            case .require:
                tls.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
                return .require(tls)
            case .verifyCA:
                tls.certificateVerification = .noHostnameVerification
                return .require(tls)
            case .verifyFull:
                tls.certificateVerification = .fullVerification
                return .require(tls)
            }
        }

        /// The same TLS settings for one ``FrontDoorDatabase/checkConnection(_:logger:)`` connection.
        func connectionTLS(rootCertificate: String?) throws -> PostgresConnection.Configuration.TLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
            switch self.base {
            case .disable:
                return .disable
            case .prefer:
                tls.certificateVerification = .none
                return .prefer(try NIOSSLContext(configuration: tls))
            case .require:
                tls.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
            case .verifyCA:
                tls.certificateVerification = .noHostnameVerification
            case .verifyFull:
                tls.certificateVerification = .fullVerification
            }
            return .require(try NIOSSLContext(configuration: tls))
        }
    }

    /// Server host name or IP address.
    public var host: String
    /// Server TCP port. Default: `5432`.
    public var port: Int
    /// Role to log in as.
    public var username: String
    /// Password, if any.
    public var password: String?
    /// Database name. Default: the user name (as libpq does).
    public var database: String
    /// TLS mode. Default: `.prefer` (libpq's default).
    public var tls: TLSMode = .prefer
    /// PEM file of the certificate authorities the server's certificate must chain to (libpq's
    /// `sslrootcert`); `nil`: the system's roots. URL option `sslrootcert=<path>` (`system` means
    /// `nil`), or ``withRootCertificate(_:)`` from `FRONTDOOR_DATABASE_SSLROOTCERT`.
    public var rootCertificate: String?
    /// Whether the URL named `sslrootcert`.
    private var rootCertificateFromURL = false
    /// Most connections the pool opens. A worker uses one per in-flight batch; the relay and
    /// the scheduler one each. Default: `10`.
    public var maximumConnections: Int = 10
    /// Time allowed to open one TCP connection. Default: `.seconds(10)`.
    public var connectTimeout: Duration = .seconds(10)
    /// `application_name` reported to the server (visible in `pg_stat_activity`). Default: `"frontdoor"`.
    public var applicationName: String = "frontdoor"

    // Session limits, sent in every connection's startup message, so that a statement on a
    // half-open connection (a failover, a network partition) or one stuck behind a lock fails
    // within seconds with a retryable ``StoreError`` instead of hanging for minutes. `nil` or
    // zero leaves the server's setting (usually no limit). URL options, in milliseconds:
    // `?statement_timeout=30000&lock_timeout=10000&idle_in_transaction_session_timeout=60000`.

    /// PostgreSQL's `statement_timeout`: the longest one statement may run. Default: `.seconds(30)`
    /// (a worker's statements take milliseconds). `frontdoor report` and `bench` raise it with
    /// ``withStatementTimeoutDefault(_:)`` unless the URL names one. Migrations lift it.
    public var statementTimeout: Duration? = .seconds(30)
    /// PostgreSQL's `lock_timeout`: the longest a statement waits for a lock. Default: `.seconds(10)`.
    public var lockTimeout: Duration? = .seconds(10)
    /// PostgreSQL's `idle_in_transaction_session_timeout`: a session idle inside a transaction this
    /// long is ended by the server, releasing its locks. Default: `.seconds(60)`.
    public var idleInTransactionSessionTimeout: Duration? = .seconds(60)
    /// Whether the URL named `statement_timeout`.
    private var statementTimeoutFromURL = false

    /// Creates a configuration from its parts.
    public init(host: String, port: Int = 5432, username: String, password: String?, database: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database ?? username
    }

    /// Parses a `postgres://` or `postgresql://` URL.
    ///
    /// User and password are percent-decoded. The query parameters read are `sslmode`
    /// (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`), `sslrootcert`,
    /// `application_name` and the session limits below; others are ignored. Unix-domain sockets
    /// are not supported.
    ///
    /// - Throws: ``StoreError`` with code ``StoreError/Code/invalidConfiguration``. The message
    ///   never repeats the URL, which holds the password.
    public init(url: String) throws(StoreError) {
        guard let components = URLComponents(string: url) else {
            throw StoreError(code: .invalidConfiguration, reason: "database URL is not a valid URL")
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql" else {
            throw StoreError(code: .invalidConfiguration, reason: "database URL must start with postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw StoreError(code: .invalidConfiguration, reason: "database URL has no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(code: .invalidConfiguration, reason: "database URL has no user name")
        }
        var path = components.path
        if path.hasPrefix("/") { path.removeFirst() }
        self.init(
            host: host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host,
            port: components.port ?? 5432,
            username: user,
            password: components.password,
            database: path.isEmpty ? nil : path
        )
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = TLSMode(sslmode: value) else {
                    throw StoreError(code: .invalidConfiguration, reason: "database URL has an unknown sslmode")
                }
                self.tls = mode
            case "sslrootcert":
                guard let value = item.value, !value.isEmpty else {
                    throw StoreError(code: .invalidConfiguration, reason: "database URL option sslrootcert needs a file path")
                }
                self.rootCertificate = value == "system" ? nil : value
                self.rootCertificateFromURL = true
            case "application_name":
                if let value = item.value, !value.isEmpty { self.applicationName = value }
            case "statement_timeout":
                self.statementTimeout = try Self.milliseconds(item)
                self.statementTimeoutFromURL = true
            case "lock_timeout":
                self.lockTimeout = try Self.milliseconds(item)
            case "idle_in_transaction_session_timeout":
                self.idleInTransactionSessionTimeout = try Self.milliseconds(item)
            default:
                continue
            }
        }
    }

    /// This configuration with `statementTimeout` set to `timeout`, unless the URL named one: for
    /// commands whose queries legitimately run long (`frontdoor report`, `bench`).
    public func withStatementTimeoutDefault(_ timeout: Duration?) -> DatabaseConfiguration {
        guard !self.statementTimeoutFromURL else { return self }
        var copy = self
        copy.statementTimeout = timeout
        return copy
    }

    /// This configuration trusting the CA certificates in `path` (a PEM file), unless `path` is
    /// `nil` or empty or the URL named `sslrootcert`: for `FRONTDOOR_DATABASE_SSLROOTCERT`, which
    /// keeps the certificate's path out of the URL secret.
    public func withRootCertificate(_ path: String?) -> DatabaseConfiguration {
        guard !self.rootCertificateFromURL, let path, !path.isEmpty else { return self }
        var copy = self
        copy.rootCertificate = path == "system" ? nil : path
        return copy
    }

    /// Throws unless the root certificate file, if one is named, can be read: a missing file would
    /// otherwise only show as a pool that never connects.
    public func checkRootCertificate() throws(StoreError) {
        guard let path = self.rootCertificate else { return }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw StoreError(code: .invalidConfiguration, reason: "sslrootcert \(path) is not a readable file")
        }
    }

    /// `host:port/database`: where this configuration connects, for log lines and messages. The
    /// URL itself holds the password and is never printed.
    public var redactedTarget: String {
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(host):\(self.port)/\(self.database) (sslmode=\(self.tls))"
    }

    private static func milliseconds(_ item: URLQueryItem) throws(StoreError) -> Duration? {
        guard let value = item.value, let ms = Int64(value), ms >= 0 else {
            throw StoreError(code: .invalidConfiguration, reason: "database URL option \(item.name) must be whole milliseconds")
        }
        return ms == 0 ? nil : .milliseconds(ms)
    }

    /// The startup parameters: `application_name` and the session limits that are set.
    var startupParameters: [(String, String)] {
        var parameters = [("application_name", self.applicationName)]
        let limits: [(String, Duration?)] = [
            ("statement_timeout", self.statementTimeout), ("lock_timeout", self.lockTimeout),
            ("idle_in_transaction_session_timeout", self.idleInTransactionSessionTimeout),
        ]
        for (name, limit) in limits {
            guard let limit else { continue }
            let ms = max(1, limit.components.seconds * 1000 + limit.components.attoseconds / 1_000_000_000_000_000)
            parameters.append((name, String(ms)))
        }
        return parameters
    }

    /// The same configuration connecting to another database on the same server (used by
    /// tests and tools that create databases).
    public func with(database: String) -> DatabaseConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: self.host,
            port: self.port,
            username: self.username,
            password: self.password,
            database: self.database,
            tls: self.tls.clientTLS(rootCertificate: self.rootCertificate)
        )
        configuration.options.maximumConnections = self.maximumConnections
        configuration.options.connectTimeout = self.connectTimeout
        configuration.options.additionalStartupParameters = self.startupParameters
        // Idle pooled connections are probed with `SELECT 1` every 30 s (PostgresNIO's default,
        // kept explicit), so one left half-open by a failover is found before it is leased.
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(30))
        return configuration
    }
}
