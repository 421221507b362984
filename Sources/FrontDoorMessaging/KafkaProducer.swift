import CRdKafka
import Dispatch
import Logging
import Synchronization

/// An idempotent producer whose sends complete when the broker has acknowledged the message.
///
/// `enable.idempotence=true` is always set, so retries never duplicate or reorder messages of a
/// partition. Each send passes librdkafka a per-message opaque; librdkafka's delivery-report
/// callback (`rd_kafka_conf_set_dr_msg_cb`), served by a thread this producer owns, resumes the
/// waiting task. A send therefore always finishes: with the broker's acknowledgement, or with
/// ``KafkaError/Code-swift.struct/delivery`` once `message.timeout.ms`
/// (``KafkaProducerConfiguration/messageTimeout``) has passed without one, or when ``close(timeout:)``
/// purges it.
///
/// Enqueueing never blocks a thread: when librdkafka's local queue is full
/// (`queue.buffering.max.messages`), the send waits asynchronously and retries.
///
/// - Important: Call ``close(timeout:)`` when done, to deliver or fail what is still queued and
///   stop the poll thread.
public final class KafkaProducer: Sendable {
    private let client: RDKafkaClient
    private let pollThread: RDKafkaPollThread
    /// Where `rd_kafka_flush` blocks.
    private let flushQueue: DispatchQueue
    /// `true` once closing began. Enqueueing happens under this lock, so that nothing is enqueued
    /// after close purged the queue (its send would never complete).
    private let closed = Mutex<Bool>(false)
    private let logger: Logger

    /// Creates a producer and starts its poll thread.
    ///
    /// - Throws: ``KafkaError`` when a property is rejected or the loaded librdkafka is older than 2.2.
    public init(
        configuration: KafkaProducerConfiguration,
        logger: Logger = Logger(label: "frontdoor.kafka.producer")
    ) throws(KafkaError) {
        let context = RDKafkaClientContext(logger: logger)
        self.client = try RDKafkaClient(type: RD_KAFKA_PRODUCER, properties: configuration.properties, context: context) {
            conf in
            rd_kafka_conf_set_dr_msg_cb(conf, rdKafkaDeliveryReportCallback)
        }
        self.pollThread = RDKafkaPollThread(client: self.client, name: "frontdoor.kafka.producer.poll")
        self.flushQueue = DispatchQueue(label: "frontdoor.kafka.producer.flush")
        self.logger = logger
    }

    deinit {
        // Not closed: let the thread end by itself; it releases the client (and so destroys the
        // handle) on its own thread rather than on whichever thread dropped the producer.
        self.pollThread.requestStop()
    }

    /// Sends `message` and waits until the broker acknowledges it.
    ///
    /// - Returns: Where the message was written.
    /// - Throws: ``KafkaError`` with code `delivery` when the broker did not acknowledge it within
    ///   ``KafkaProducerConfiguration/messageTimeout`` (or rejected it), `closed` after
    ///   ``close(timeout:)``, or `broker` when librdkafka refused to enqueue it.
    public func send(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        let delivery = SingleDelivery()
        try await self.enqueue(message, pending: PendingDelivery(sink: delivery, index: 0))
        return try await delivery.result().get()
    }

    /// Sends `messages` together and waits until every one is acknowledged or has failed.
    ///
    /// Far faster than awaiting ``send(_:)`` one message at a time: librdkafka batches them.
    /// Messages with the same key (or partition) keep their order.
    ///
    /// - Returns: One result per message, in the order of `messages`.
    public func send(_ messages: [KafkaProducerMessage]) async -> [Result<KafkaDeliveryReport, KafkaError>] {
        guard !messages.isEmpty else { return [] }
        let batch = BatchDelivery(count: messages.count)
        for (index, message) in messages.enumerated() {
            do {
                try await self.enqueue(message, pending: PendingDelivery(sink: batch, index: index))
            } catch {
                batch.complete(index: index, with: .failure(error))
            }
        }
        return await batch.results()
    }

    /// Why this producer cannot send any more, if it cannot: closed, or stopped by a fatal
    /// error (readiness checks). `nil` while it can; a broker that is merely unreachable is not a
    /// problem here (librdkafka reconnects and sends time out on their own).
    public var problem: String? {
        if self.closed.withLock({ $0 }) { return "the producer is closed" }
        if self.client.fatalError() != nil { return "the producer stopped on a fatal error" }
        return nil
    }

    /// Waits until everything queued so far is acknowledged or failed, sending without waiting
    /// for `linger.ms`.
    ///
    /// - Throws: ``KafkaError/Code-swift.struct/timedOut`` when messages are still outstanding after `timeout`.
    public func flush(timeout: Duration) async throws(KafkaError) {
        if self.closed.withLock({ $0 }) { throw KafkaError.closed(reason: "the producer is closed") }
        try await self.flushQueue.runBlocking { () throws(KafkaError) in
            let error = rd_kafka_flush(self.client.handle, timeout.rdKafkaTimeout)
            if error == RD_KAFKA_RESP_ERR__TIMED_OUT {
                throw KafkaError.timedOut(reason: "\(rd_kafka_outq_len(self.client.handle)) messages outstanding after flush")
            }
            guard error == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError.broker(error) }
        }
    }

    /// Flushes for up to `timeout`, fails whatever is still queued (those sends throw
    /// ``KafkaError/Code-swift.struct/delivery``), and stops the poll thread. Later sends throw
    /// ``KafkaError/Code-swift.struct/closed``. Calling it again does nothing.
    public func close(timeout: Duration = .seconds(10)) async {
        let alreadyClosed = self.closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        _ = try? await self.flushQueue.runBlocking { () throws(KafkaError) in
            let handle = self.client.handle
            if rd_kafka_flush(handle, timeout.rdKafkaTimeout) != RD_KAFKA_RESP_ERR_NO_ERROR {
                self.logger.warning("Purging unacknowledged messages on close", metadata: ["kafka.outq": "\(rd_kafka_outq_len(handle))"])
                rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                // Serves the purged messages' delivery reports, which fail their sends.
                _ = rd_kafka_flush(handle, 5000)
            }
            self.pollThread.stop()
        }
    }

    // MARK: Internals

    /// Hands `message` to librdkafka, retrying asynchronously while its queue is full. On success,
    /// librdkafka owns one retain of `pending` until the delivery report.
    private func enqueue(_ message: KafkaProducerMessage, pending: PendingDelivery) async throws(KafkaError) {
        let opaque = Unmanaged.passRetained(pending).toOpaque()
        while true {
            let error: rd_kafka_resp_err_t? = self.closed.withLock { closed in
                closed ? nil : Self.produce(message, handle: self.client.handle, opaque: opaque)
            }
            switch error {
            case RD_KAFKA_RESP_ERR_NO_ERROR:
                return
            case RD_KAFKA_RESP_ERR__QUEUE_FULL:
                // The poll thread drains the queue as acknowledgements arrive.
                do {
                    try await Task.sleep(for: .milliseconds(1))
                } catch {
                    Unmanaged<PendingDelivery>.fromOpaque(opaque).release()
                    throw KafkaError.broker(RD_KAFKA_RESP_ERR__QUEUE_FULL, reason: "cancelled while the producer queue was full")
                }
            case nil:
                Unmanaged<PendingDelivery>.fromOpaque(opaque).release()
                throw KafkaError.closed(reason: "the producer is closed")
            case let error?:
                Unmanaged<PendingDelivery>.fromOpaque(opaque).release()
                if error == RD_KAFKA_RESP_ERR__FATAL, let fatal = self.client.fatalError() { throw fatal }
                throw KafkaError.broker(error)
            }
        }
    }

    /// `rd_kafka_produceva` with copied key, value and headers.
    private static func produce(
        _ message: KafkaProducerMessage,
        handle: OpaquePointer,
        opaque: UnsafeMutableRawPointer
    ) -> rd_kafka_resp_err_t {
        var headers: OpaquePointer? = nil
        if !message.headers.isEmpty {
            headers = rd_kafka_headers_new(message.headers.count)
            for header in message.headers {
                var name = header.key
                name.withUTF8 { name in
                    if let value = header.value {
                        value.withUnsafeBytes { value in
                            _ = rd_kafka_header_add(headers, name.baseAddress, name.count, value.baseAddress, value.count)
                        }
                    } else {
                        _ = rd_kafka_header_add(headers, name.baseAddress, name.count, nil, 0)
                    }
                }
            }
        }
        let error = message.topic.withCString { topic in
            message.value.withUnsafeBytes { value in
                Self.withOptionalBytes(message.key) { key in
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { arguments in
                        var count = 0
                        func add(_ type: rd_kafka_vtype_t, _ set: (inout rd_kafka_vu_t) -> Void) {
                            var argument = rd_kafka_vu_t()
                            argument.vtype = type
                            set(&argument)
                            arguments.initializeElement(at: count, to: argument)
                            count += 1
                        }
                        add(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                        add(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = message.partition ?? -1 }  // RD_KAFKA_PARTITION_UA
                        add(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        add(RD_KAFKA_VTYPE_VALUE) {
                            $0.u.mem.ptr = value.isEmpty ? nil : UnsafeMutableRawPointer(mutating: value.baseAddress)
                            $0.u.mem.size = value.count
                        }
                        if let key {
                            add(RD_KAFKA_VTYPE_KEY) {
                                $0.u.mem.ptr = UnsafeMutableRawPointer(mutating: key.baseAddress)
                                $0.u.mem.size = key.count
                            }
                        }
                        add(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
                        if let headers {
                            add(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers }
                        }
                        defer { arguments.baseAddress!.deinitialize(count: count) }
                        guard let error = rd_kafka_produceva(handle, arguments.baseAddress, count) else {
                            return RD_KAFKA_RESP_ERR_NO_ERROR
                        }
                        defer { rd_kafka_error_destroy(error) }
                        return rd_kafka_error_code(error)
                    }
                }
            }
        }
        // librdkafka owns the headers only when the message was accepted.
        if error != RD_KAFKA_RESP_ERR_NO_ERROR, let headers {
            rd_kafka_headers_destroy(headers)
        }
        return error
    }

    private static func withOptionalBytes<T>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> T) -> T {
        guard let bytes else { return body(nil) }
        // A present but empty key stays present: give it a valid (non-null) pointer.
        if bytes.isEmpty {
            return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { body(UnsafeRawBufferPointer(start: $0.baseAddress, count: 0)) }
        }
        return bytes.withUnsafeBytes { body($0) }
    }
}

// MARK: Delivery bookkeeping

/// Receives delivery results; implemented by a single send and by a batch.
protocol DeliverySink: AnyObject, Sendable {
    func complete(index: Int, with result: Result<KafkaDeliveryReport, KafkaError>)
}

/// The per-message opaque handed to librdkafka: which sink, and which message of it.
final class PendingDelivery: Sendable {
    let sink: any DeliverySink
    let index: Int

    init(sink: any DeliverySink, index: Int) {
        self.sink = sink
        self.index = index
    }
}

/// The result of one ``KafkaProducer/send(_:)-(KafkaProducerMessage)``. The report may arrive
/// before the sender starts waiting, hence the small state machine.
final class SingleDelivery: DeliverySink {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>)
        case done(Result<KafkaDeliveryReport, KafkaError>)
    }

    private let state = Mutex<State>(.pending)

    func complete(index: Int, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let continuation = self.state.withLock { state -> CheckedContinuation<Result<KafkaDeliveryReport, KafkaError>, Never>? in
            switch state {
            case .pending:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .done(result)
                return continuation
            case .done:
                return nil
            }
        }
        continuation?.resume(returning: result)
    }

    func result() async -> Result<KafkaDeliveryReport, KafkaError> {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state -> Result<KafkaDeliveryReport, KafkaError>? in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .done(let result):
                    return result
                case .waiting:
                    preconditionFailure("a delivery is awaited once")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// The results of one ``KafkaProducer/send(_:)-([KafkaProducerMessage])``.
final class BatchDelivery: DeliverySink {
    private struct State {
        var results: [Result<KafkaDeliveryReport, KafkaError>?]
        var remaining: Int
        var continuation: CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>?
    }

    private let state: Mutex<State>

    init(count: Int) {
        self.state = Mutex(State(results: Array(repeating: nil, count: count), remaining: count))
    }

    func complete(index: Int, with result: Result<KafkaDeliveryReport, KafkaError>) {
        let finished = self.state.withLock {
            state -> (CheckedContinuation<[Result<KafkaDeliveryReport, KafkaError>], Never>, [Result<KafkaDeliveryReport, KafkaError>])? in
            guard state.results[index] == nil else { return nil }
            state.results[index] = result
            state.remaining -= 1
            guard state.remaining == 0, let continuation = state.continuation else { return nil }
            state.continuation = nil
            return (continuation, state.results.map { $0! })
        }
        if let (continuation, results) = finished { continuation.resume(returning: results) }
    }

    func results() async -> [Result<KafkaDeliveryReport, KafkaError>] {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state -> [Result<KafkaDeliveryReport, KafkaError>]? in
                guard state.remaining == 0 else {
                    state.continuation = continuation
                    return nil
                }
                return state.results.map { $0! }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}

/// librdkafka's delivery-report callback; runs on the producer's poll thread (or inside a flush).
private func rdKafkaDeliveryReportCallback(
    _ handle: OpaquePointer?,
    _ message: UnsafePointer<rd_kafka_message_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let message, let pendingPointer = message.pointee._private else { return }
    let pending = Unmanaged<PendingDelivery>.fromOpaque(pendingPointer).takeRetainedValue()
    let result: Result<KafkaDeliveryReport, KafkaError>
    if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        result = .success(
            KafkaDeliveryReport(
                topic: String(cString: rd_kafka_topic_name(message.pointee.rkt)),
                partition: message.pointee.partition,
                offset: message.pointee.offset
            )
        )
    } else if message.pointee.err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT,
        let failure = RDKafkaClientContext.from(handle)?.authenticationFailure.withLock({ $0 })
    {
        // The brokers refused the credentials: say so rather than only "timed out" (same code,
        // so retry decisions do not change).
        let timedOut = KafkaError.delivery(message.pointee.err)
        result = .failure(
            KafkaError(
                code: .delivery, rdKafkaCode: timedOut.rdKafkaCode,
                reason: "\(timedOut.reason); authentication failed: \(failure)", file: #fileID, line: #line))
    } else {
        result = .failure(KafkaError.delivery(message.pointee.err))
    }
    pending.sink.complete(index: pending.index, with: result)
}
