import Foundation
import FrontDoorStore
import HTTPTypes
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// What a worker's service tells the health endpoints, and the gauges it sets before a scrape.
public protocol HealthReporting: Sendable {
    /// `nil` while the service's loop turns within its deadline, else why not (`/health/live`).
    func livenessProblem() -> String?
    /// `nil` while the service can do its work (partitions assigned, PostgreSQL answering…),
    /// else why not (`/health/ready`). May ask the database, for ``HealthServer/probeTimeout`` at most.
    func readinessProblem() async -> String?
    /// Sets the gauges that are read rather than counted (lag, backlog…) just before a scrape.
    func refreshMetrics() async
}

/// The HTTP listener of a worker process (Hummingbird), a service of the worker's
/// `ServiceGroup` that stops with it:
///
/// - `GET /metrics`: every metric of the process's Prometheus registry, in Prometheus' text
///   format, after the gauges read on demand (lag, outbox backlog, memory) are refreshed.
/// - `GET /health/live`: 200 while every service's loop turned within its deadline, else 503
///   (a stuck process, to be restarted).
/// - `GET /health/ready`: 200 while every service can do its work (a consumer worker: its group
///   assigned it partitions and PostgreSQL answers; the relay: PostgreSQL answers and its
///   producer is up), else 503 with a JSON reason. No answer carries personal data.
///
/// Bound to `FRONTDOOR_HTTP_HOST:FRONTDOOR_HTTP_PORT` (``WorkerSettings/httpHost``,
/// ``WorkerSettings/httpPort``); a port that cannot be bound stops the worker at start-up.
public struct HealthServer: Service {
    let host: String
    let port: Int
    let registry: PrometheusCollectorRegistry
    let metrics: FrontDoorMetrics
    let components: [any HealthReporting]
    let logger: Logger

    /// The longest a readiness check or a scrape waits for PostgreSQL or the broker.
    public static let probeTimeout: Duration = .seconds(2)

    public init(
        host: String, port: Int, registry: PrometheusCollectorRegistry, metrics: FrontDoorMetrics,
        components: [any HealthReporting], logger: Logger
    ) {
        self.host = host
        self.port = port
        self.registry = registry
        self.metrics = metrics
        self.components = components
        self.logger = logger
    }

    /// A Prometheus factory on `registry` with frontdoor's histogram buckets, for
    /// `MetricsSystem.bootstrap` (once per process) or a test's ``FrontDoorMetrics``.
    public static func prometheusFactory(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[MetricName.batchSize] = MetricName.batchSizeBuckets
        factory.durationHistogramBuckets[MetricName.batchDuration] = MetricName.batchDurationBuckets
        return factory
    }

    public func run() async throws {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            await self.refresh()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("health/live") { _, _ -> Response in
            let problems = components.compactMap { $0.livenessProblem() }
            return Self.answer(problems, healthy: "live")
        }
        router.get("health/ready") { _, _ -> Response in
            Self.answer(await readinessProblems(), healthy: "ready")
        }
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { [logger, host, port] _ in
                logger.info("serving metrics and health", metadata: ["host": "\(host)", "port": "\(port)"])
            }, logger: logger)
        do {
            try await app.run()
        } catch {
            logger.critical(
                "the metrics and health listener cannot run (FRONTDOOR_HTTP_HOST, FRONTDOOR_HTTP_PORT)",
                metadata: ["host": "\(host)", "port": "\(port)", "error": "\(error)"])
            throw error
        }
    }

    /// The readiness problems of every component, checked side by side.
    func readinessProblems() async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            for c in components { group.addTask { await c.readinessProblem() } }
            var problems: [String] = []
            for await p in group { if let p { problems.append(p) } }
            return problems.sorted()
        }
    }

    func refresh() async {
        metrics.refreshProcess()
        await withTaskGroup(of: Void.self) { group in
            for c in components { group.addTask { await c.refreshMetrics() } }
        }
    }

    /// 200 `{"status":"live"}`, or 503 `{"status":"not live","reasons":[…]}`.
    static func answer(_ problems: [String], healthy: String) -> Response {
        struct Body: Encodable {
            var status: String
            var reasons: [String]?
        }
        let body = Body(status: problems.isEmpty ? healthy : "not \(healthy)", reasons: problems.isEmpty ? nil : problems)
        let json = (try? JSONEncoder().encode(body)).map { [UInt8]($0) } ?? Array(#"{"status":"unknown"}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(
            status: problems.isEmpty ? .ok : .serviceUnavailable, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: json)))
    }
}

/// Runs `body`, or gives up after `timeout`: `nil` when it threw or took longer. On giving up,
/// `body` is cancelled and left to finish in the background (a blocking librdkafka call cannot be
/// cancelled; a database call waiting for the pool is), so the caller never waits longer.
func withProbeTimeout<T: Sendable>(
    _ timeout: Duration = HealthServer.probeTimeout, _ body: @escaping @Sendable () async throws -> T
) async -> T? {
    let answer = AnswerOnce<T?>()
    return await withCheckedContinuation { continuation in
        answer.wait(continuation)
        let work = Task { answer.give(try? await body()) }
        Task {
            try? await Task.sleep(for: timeout)
            if answer.give(nil) { work.cancel() }
        }
    }
}

/// A continuation resumed by the first of several tasks to answer.
private final class AnswerOnce<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, Never>?>(nil)

    func wait(_ c: CheckedContinuation<T, Never>) { continuation.withLock { $0 = c } }

    /// Resumes the waiter with `value` unless another answer came first; returns whether it did.
    @discardableResult
    func give(_ value: T) -> Bool {
        guard
            let c = continuation.withLock({ c -> CheckedContinuation<T, Never>? in
                defer { c = nil }
                return c
            })
        else { return false }
        c.resume(returning: value)
        return true
    }
}

extension FrontDoorDatabase {
    /// Whether PostgreSQL answers a transaction within ``HealthServer/probeTimeout``.
    func answers() async -> Bool {
        await withProbeTimeout { try await self.withTransaction(readOnly: true) { _ in true } } ?? false
    }
}
