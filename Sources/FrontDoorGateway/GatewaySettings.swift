import Foundation

/// The gateway's own settings, read from environment variables beside ``FrontDoorWorkers/WorkerSettings``
/// (brokers, database, topics and configuration come from there).
///
/// | variable | default | meaning |
/// | --- | --- | --- |
/// | `FRONTDOOR_GATEWAY_HOST` | `127.0.0.1` | address the gateway listens on |
/// | `FRONTDOOR_GATEWAY_PORT` | `8080` | its port (`0`: any free port) |
/// | `FRONTDOOR_GATEWAY_TLS_CERT` | — | PEM certificate chain; with `FRONTDOOR_GATEWAY_TLS_KEY`, the gateway speaks HTTPS only |
/// | `FRONTDOOR_GATEWAY_TLS_KEY` | — | PEM private key of that certificate |
/// | `FRONTDOOR_GATEWAY_MAX_BODY_BYTES` | `8388608` (8 MiB) | largest request body; over it `413` |
/// | `FRONTDOOR_GATEWAY_MAX_EVENTS` | `5000` | most events in one batched request; over it `413` |
/// | `FRONTDOOR_GATEWAY_RATE` | `5000` | events per second each client may send, on average (token bucket) |
/// | `FRONTDOOR_GATEWAY_BURST` | `10000` | events a client may send at once (the bucket's size; at least `MAX_EVENTS`) |
/// | `FRONTDOOR_GATEWAY_PUBLISH_TIMEOUT_MS` | `10000` | how long the broker may take to acknowledge an event before the request fails with `503` |
public struct GatewaySettings: Sendable, Hashable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    public var maximumBodyBytes = 8 * 1024 * 1024
    public var maximumEvents = 5000
    /// Tokens (events) added to each client's bucket per second.
    public var eventsPerSecond = 5000.0
    /// The bucket's size; never below ``maximumEvents``, so that one full batch can always pass.
    public var burst = 10_000
    /// The producer's `message.timeout.ms`: a broker that acknowledges nothing within it makes the request a `503`.
    public var publishTimeout: Duration = .seconds(10)

    /// Reads the settings from an environment (default: the process's); unset variables keep the
    /// defaults above (`GatewaySettings(environment: [:])`: the defaults alone).
    public init(environment env: [String: String] = ProcessInfo.processInfo.environment) {
        if let v = env["FRONTDOOR_GATEWAY_HOST"], !v.isEmpty { host = v }
        if let v = env["FRONTDOOR_GATEWAY_PORT"].flatMap(Int.init), (0...65535).contains(v) { port = v }
        if let v = env["FRONTDOOR_GATEWAY_TLS_CERT"], !v.isEmpty { tlsCertificatePath = v }
        if let v = env["FRONTDOOR_GATEWAY_TLS_KEY"], !v.isEmpty { tlsKeyPath = v }
        if let v = env["FRONTDOOR_GATEWAY_MAX_BODY_BYTES"].flatMap(Int.init), v > 0 { maximumBodyBytes = v }
        if let v = env["FRONTDOOR_GATEWAY_MAX_EVENTS"].flatMap(Int.init), v > 0 { maximumEvents = v }
        if let v = env["FRONTDOOR_GATEWAY_RATE"].flatMap(Double.init), v > 0, v.isFinite { eventsPerSecond = v }
        if let v = env["FRONTDOOR_GATEWAY_BURST"].flatMap(Int.init), v > 0 { burst = v }
        if let v = env["FRONTDOOR_GATEWAY_PUBLISH_TIMEOUT_MS"].flatMap(Int.init), v > 0 { publishTimeout = .milliseconds(v) }
    }

    /// The bucket size in force: ``burst``, raised to ``maximumEvents`` when it is smaller.
    public var effectiveBurst: Int { max(burst, maximumEvents) }

    /// Whether both TLS files are set (the gateway then serves HTTPS only).
    public var usesTLS: Bool { tlsCertificatePath != nil && tlsKeyPath != nil }

    /// Every environment variable these settings read.
    public static let environmentVariables: Set<String> = [
        "FRONTDOOR_GATEWAY_HOST", "FRONTDOOR_GATEWAY_PORT", "FRONTDOOR_GATEWAY_TLS_CERT", "FRONTDOOR_GATEWAY_TLS_KEY",
        "FRONTDOOR_GATEWAY_MAX_BODY_BYTES", "FRONTDOOR_GATEWAY_MAX_EVENTS", "FRONTDOOR_GATEWAY_RATE",
        "FRONTDOOR_GATEWAY_BURST", "FRONTDOOR_GATEWAY_PUBLISH_TIMEOUT_MS",
    ]
}
