import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore

/// A valid event of a batch, with the Kafka message it came from.
public struct IncomingEvent: Sendable {
    public var message: KafkaConsumerMessage
    public var event: InputEvent

    public init(message: KafkaConsumerMessage, event: InputEvent) {
        self.message = message
        self.event = event
    }
}

/// A message that goes to `<topic>.dlq`, with its reason.
public struct RejectedMessage: Sendable {
    public var message: KafkaConsumerMessage
    public var reject: Reject

    public init(message: KafkaConsumerMessage, reject: Reject) {
        self.message = message
        self.reject = reject
    }
}

/// What a worker does with a batch; the ``BatchWorker`` runtime does the rest (polling,
/// decoding, idempotency, dead-lettering, offsets, retries, shutdown).
///
/// - Important: ``handle(_:in:)`` runs inside the batch's one database transaction and only
///   ever sees events whose `(source, id)` has not been processed before. It must not talk to
///   Kafka: anything to publish goes to the outbox in the same transaction.
public protocol BatchHandler: Sendable {
    /// The worker kind: `attendance`, `exclusions`, `referrals`.
    var name: String { get }
    /// The topics it consumes.
    var topics: [String] { get }
    /// Decodes and validates one message (pure).
    func decode(_ message: KafkaConsumerMessage) -> Result<InputEvent, Reject>
    /// Rejects events that are well formed but refer to something the store does not know
    /// (e.g. a decision on an unknown case), before they are claimed. Default: none.
    func precheck(_ events: [IncomingEvent], in tx: StoreTransaction) async throws -> [RejectedMessage]
    /// Records the facts and applies the rules for events not seen before.
    func handle(_ events: [IncomingEvent], in tx: StoreTransaction) async throws
    /// Sets the handler's own gauges just before a metrics scrape. Default: none.
    func refreshMetrics() async
}

extension BatchHandler {
    public func precheck(_ events: [IncomingEvent], in tx: StoreTransaction) async throws -> [RejectedMessage] { [] }
    public func refreshMetrics() async {}
}
