import Dispatch
import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import Metrics
import Synchronization

/// The names of every metric frontdoor exports (docs/operations.md, "Metrics and health", lists
/// them with their labels; the alert rules in deploy/prometheus use them).
///
/// Labels never carry personal data: worker kinds, topic names, reject codes, partition numbers
/// and schools' LAESTAB numbers (a school is not a person).
public enum MetricName {
    /// Counter {worker, topic}: messages of committed batches (processed, duplicate or rejected).
    public static let eventsConsumed = "frontdoor_events_consumed_total"
    /// Counter {worker, topic, code}: messages sent to `<topic>.dlq`, by ``RejectCode``.
    public static let eventsRejected = "frontdoor_events_rejected_total"
    /// Histogram {worker}: messages per committed batch.
    public static let batchSize = "frontdoor_batch_size_events"
    /// Histogram {worker}: seconds from a batch's poll to its commit, retries included.
    public static let batchDuration = "frontdoor_batch_duration_seconds"
    /// Counter {worker}: waits before trying a batch (or a read of stored offsets) again.
    public static let transactionRetries = "frontdoor_transaction_retries_total"
    /// Counter {worker}: rejoins after PostgreSQL lost offsets the worker had committed.
    public static let consumerRejoins = "frontdoor_consumer_rejoins_total"
    /// Counter {topic}: notifications the relay published and marked sent.
    public static let notificationsPublished = "frontdoor_notifications_published_total"
    /// Gauge: outbox rows not yet published.
    public static let outboxBacklog = "frontdoor_outbox_backlog"
    /// Gauge: seconds since the oldest unpublished outbox row was written (0 when none).
    public static let outboxOldestAge = "frontdoor_outbox_oldest_age_seconds"
    /// Gauge {worker, topic, partition}: high watermark minus the next offset PostgreSQL holds.
    public static let consumerLag = "frontdoor_consumer_lag"
    /// Gauge {laestab}: Unix time the attendance worker last committed a register mark of the school.
    public static let schoolLastRegister = "frontdoor_school_last_register_timestamp_seconds"
    /// Gauge: 1 on a school day by the LA calendar (`Config/calendar`), else 0.
    public static let schoolDay = "frontdoor_school_day"
    /// Gauge {worker}: 1 while `/health/ready` would answer 200, else 0.
    public static let workerReady = "frontdoor_worker_ready"
    /// Gauge {worker}: Unix time of the poll loop's last turn.
    public static let pollLoopLastTurn = "frontdoor_poll_loop_last_turn_timestamp_seconds"
    /// Gauge: the process's resident memory, from `/proc/self/statm`.
    public static let residentMemory = "process_resident_memory_bytes"

    /// Every name above.
    public static let all: [String] = [
        eventsConsumed, eventsRejected, batchSize, batchDuration, transactionRetries, consumerRejoins,
        notificationsPublished, outboxBacklog, outboxOldestAge, consumerLag, schoolLastRegister, schoolDay, workerReady,
        pollLoopLastTurn, residentMemory,
    ]

    /// Buckets of ``batchSize`` (messages), up to the largest `FRONTDOOR_BATCH_SIZE` worth running.
    public static let batchSizeBuckets: [Double] = [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000]
    /// Buckets of ``batchDuration``: a healthy batch takes milliseconds, one waiting out an outage minutes.
    public static let batchDurationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        .seconds(30), .seconds(60), .seconds(300),
    ]
}

/// Where frontdoor's runtime records its metrics: swift-metrics' `Counter`, `Gauge`, `Recorder`
/// and `Timer` made by one factory, by default the process's (`MetricsSystem.bootstrap`, done
/// once by `frontdoor worker` with swift-prometheus' factory). Tests give each worker a factory
/// of its own, so that workers of one process do not mix their figures.
public struct FrontDoorMetrics: Sendable {
    public let factory: any MetricsFactory

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        self.factory = factory
    }

    func counter(_ name: String, _ dimensions: [(String, String)]) -> Counter {
        Counter(label: name, dimensions: dimensions, factory: factory)
    }

    func gauge(_ name: String, _ dimensions: [(String, String)] = []) -> Gauge {
        Gauge(label: name, dimensions: dimensions, factory: factory)
    }

    /// Adds `n` to the counter `name` with `dimensions`.
    func count(_ name: String, _ dimensions: [(String, String)], by n: Int) {
        counter(name, dimensions).increment(by: n)
    }

    /// The seconds since 1970 of `date`, as Prometheus' `time()` counts.
    static func unixTime(_ date: Date) -> Double { date.timeIntervalSince1970 }

    /// The process's resident set size in bytes (`/proc/self/statm`'s second field times the
    /// page size), or `nil` where there is no such file.
    static func residentMemoryBytes() -> Int? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Sets the process-wide gauges read at each scrape (resident memory).
    public func refreshProcess() {
        if let bytes = Self.residentMemoryBytes() { gauge(MetricName.residentMemory).record(bytes) }
    }
}

/// The metrics of one batch worker: labelled with its kind, recorded where the facts arise
/// (``BatchWorker`` after each commit and retry, the lag before each scrape).
final class BatchWorkerMetrics: Sendable {
    let metrics: FrontDoorMetrics
    let worker: String
    let batchSize: Recorder
    let batchDuration: Metrics.Timer
    let retries: Counter
    let rejoins: Counter
    /// The lag gauges this worker reports, so that those of partitions it lost are removed
    /// (their new owner reports them).
    private let lagGauges = Mutex<[KafkaTopicPartition: Gauge]>([:])
    /// Set while a query of the partitions' offsets for the lag is in flight.
    let lagQuery = Atomic<Bool>(false)
    /// Low watermarks of partitions without a stored offset, and when each was read.
    private let lows = Mutex<[KafkaTopicPartition: (offset: Int64, read: ContinuousClock.Instant)]>([:])

    init(metrics: FrontDoorMetrics, worker: String) {
        self.metrics = metrics
        self.worker = worker
        batchSize = Recorder(
            label: MetricName.batchSize, dimensions: [("worker", worker)], aggregate: true, factory: metrics.factory)
        batchDuration = Metrics.Timer(label: MetricName.batchDuration, dimensions: [("worker", worker)], factory: metrics.factory)
        retries = Counter(label: MetricName.transactionRetries, dimensions: [("worker", worker)], factory: metrics.factory)
        rejoins = Counter(label: MetricName.consumerRejoins, dimensions: [("worker", worker)], factory: metrics.factory)
    }

    /// The worker waits to try a batch, or a read of stored offsets, again.
    func retried() { retries.increment() }

    /// The worker rejoined its group after PostgreSQL lost offsets it had committed.
    func rejoined() { rejoins.increment() }

    /// A batch committed: its messages by topic, its rejects by topic and code, its size and how
    /// long it took from poll to commit.
    func committed(_ batch: KafkaConsumerBatch, rejected: [TopicRejects: Int], duration: Duration) {
        var byTopic: [String: Int] = [:]
        for m in batch { byTopic[m.topic, default: 0] += 1 }
        for (topic, n) in byTopic {
            metrics.counter(MetricName.eventsConsumed, [("worker", worker), ("topic", topic)]).increment(by: n)
        }
        for (key, n) in rejected {
            metrics.counter(MetricName.eventsRejected, [("worker", worker), ("topic", key.topic), ("code", key.code.rawValue)])
                .increment(by: n)
        }
        batchSize.record(batch.count)
        batchDuration.recordNanoseconds(
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// The partitions of `partitions` whose low watermark is unknown or older than a minute.
    func staleLowWatermarks(of partitions: [KafkaTopicPartition]) -> [KafkaTopicPartition] {
        let now = ContinuousClock.now
        return lows.withLock { lows in partitions.filter { lows[$0].map { now - $0.read > .seconds(60) } ?? true } }
    }

    func remember(lowWatermarks: [KafkaTopicPartition: Int64]) {
        let now = ContinuousClock.now
        lows.withLock { for (tp, offset) in lowWatermarks { $0[tp] = (offset, now) } }
    }

    var lowWatermarks: [KafkaTopicPartition: Int64] { lows.withLock { $0.mapValues(\.offset) } }

    /// Sets the lag of each partition in `lag`, keeps the last figure of other `owned` ones and
    /// removes the gauges of partitions no longer owned.
    func report(lag: [KafkaTopicPartition: Int64], owned: Set<KafkaTopicPartition>) {
        lagGauges.withLock { gauges in
            for (tp, gauge) in gauges where !owned.contains(tp) {
                gauge.destroy()
                gauges[tp] = nil
            }
            for (tp, value) in lag {
                let gauge =
                    gauges[tp]
                    ?? metrics.gauge(
                        MetricName.consumerLag, [("worker", worker), ("topic", tp.topic), ("partition", String(tp.partition))])
                gauges[tp] = gauge
                gauge.record(value)
            }
        }
    }
}

/// A topic and a reject code: the labels of ``MetricName/eventsRejected``.
struct TopicRejects: Hashable, Sendable {
    var topic: String
    var code: RejectCode
}

/// The last turn of a service's loop, for `/health/live` and ``MetricName/pollLoopLastTurn``.
///
/// Kept as monotonic nanoseconds (`DispatchTime`), so a wall-clock step never makes a loop
/// look stalled; the wall-clock time of the turn is derived when it is reported.
public final class LoopPulse: Sendable {
    private let lastTurn = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)
    /// The longest a turn may take before the loop counts as stalled.
    public let deadline: Duration

    public init(deadline: Duration) {
        self.deadline = deadline
    }

    /// The loop turned.
    func beat() { lastTurn.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }

    /// Time since the last turn.
    public var sinceLastTurn: Duration {
        let now = DispatchTime.now().uptimeNanoseconds
        let last = lastTurn.load(ordering: .relaxed)
        return .nanoseconds(Int64(now > last ? now - last : 0))
    }

    /// Unix time of the last turn.
    var lastTurnUnixTime: Double {
        let since = sinceLastTurn
        return Date().timeIntervalSince1970 - Double(since.components.seconds)
            - Double(since.components.attoseconds) / 1e18
    }

    /// `nil` while the loop turned within its deadline, else why not.
    var problem: String? {
        let since = sinceLastTurn
        guard since > deadline else { return nil }
        return "the poll loop has not turned for \(since.components.seconds) s (deadline \(deadline.components.seconds) s)"
    }
}

/// The attendance worker's school gauges: when each school's register marks last arrived
/// (by LAESTAB, a school's number, not personal data) and whether today is a school day by the
/// LA calendar, so that an alert can ask for a school whose register has not arrived by 10:00
/// on a school day.
///
/// Only the schools of `Config/schools.csv` are reported (a mark of any other valid LAESTAB would
/// otherwise add a series for it), each from 0 when the worker starts, so a school that sends
/// nothing still has a series to alert on. The times are this process's: after a restart a
/// school reads 0 until its next mark, and with several replicas each reports the schools of its
/// partitions, so alerts take the maximum over replicas by `laestab`.
struct SchoolMetrics: Sendable {
    let metrics: FrontDoorMetrics
    let calendar: SchoolCalendar
    /// `FRONTDOOR_TODAY`, else the date in London.
    let today: String?
    let schools: Set<String>

    init(metrics: FrontDoorMetrics, calendar: SchoolCalendar, today: String?, register: SchoolRegister) {
        self.metrics = metrics
        self.calendar = calendar
        self.today = today
        schools = Set(register.schools.map(\.laestab.value))
        for laestab in schools { metrics.gauge(MetricName.schoolLastRegister, [("laestab", laestab)]).record(0) }
    }

    /// Marks of a batch being handled: the time they arrived, per school.
    func registersReceived(_ events: [IncomingEvent]) {
        var seen: Set<String> = []
        for e in events {
            if case .attendanceMark(_, let m) = e.event, schools.contains(m.laestab.value) { seen.insert(m.laestab.value) }
        }
        guard !seen.isEmpty else { return }
        let now = FrontDoorMetrics.unixTime(Date())
        for laestab in seen { metrics.gauge(MetricName.schoolLastRegister, [("laestab", laestab)]).record(now) }
    }

    func refresh() {
        let day = today.flatMap { LocalDate(iso: $0) } ?? LondonDate.of(Date())
        metrics.gauge(MetricName.schoolDay).record(calendar.isSchoolDay(day) ? 1 : 0)
    }
}
