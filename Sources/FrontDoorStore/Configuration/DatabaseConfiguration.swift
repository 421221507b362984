import Foundation
import PostgresNIO

/// Where and how to connect to frontdoor's PostgreSQL database.
///
/// Usually made from `FRONTDOOR_DATABASE_URL` with ``init(url:)``:
/// `postgres://user:password@host:port/database?sslmode=require`.
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

        var clientTLS: PostgresClient.Configuration.TLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            switch self.base {
            case .disable:
                return .disable
            case .prefer:
                tls.certificateVerification = .none
                return .prefer(tls)
            case .require:
                tls.certificateVerification = .none
                return .require(tls)
            case .verifyCA:
                tls.certificateVerification = .noHostnameVerification
                return .require(tls)
            case .verifyFull:
                tls.certificateVerification = .fullVerification
                return .require(tls)
            }
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
    /// Most connections the pool opens. A worker uses one per in-flight batch; the relay and
    /// the scheduler one each. Default: `10`.
    public var maximumConnections: Int = 10
    /// Time allowed to open one TCP connection. Default: `.seconds(10)`.
    public var connectTimeout: Duration = .seconds(10)
    /// `application_name` reported to the server (visible in `pg_stat_activity`). Default: `"frontdoor"`.
    public var applicationName: String = "frontdoor"

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
    /// User and password are percent-decoded. The only query parameters read are `sslmode`
    /// (`disable`, `allow`, `prefer`, `require`, `verify-ca`, `verify-full`) and
    /// `application_name`; others are ignored. Unix-domain sockets are not supported.
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
            case "application_name":
                if let value = item.value, !value.isEmpty { self.applicationName = value }
            default:
                continue
            }
        }
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
            tls: self.tls.clientTLS
        )
        configuration.options.maximumConnections = self.maximumConnections
        configuration.options.connectTimeout = self.connectTimeout
        configuration.options.additionalStartupParameters = [("application_name", self.applicationName)]
        return configuration
    }
}
