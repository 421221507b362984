import Foundation

/// A notification waiting in (or taken from) the outbox, ready to publish as a Kafka record.
public struct OutboxMessage: Sendable, Hashable {
    /// The notification's stable id (also the primary key: enqueueing it again is a no-op).
    public var notificationId: String
    /// Destination topic, e.g. `frontdoor.early-help.unit-3.v1`.
    public var topic: String
    /// Kafka record key (a case id).
    public var key: String
    /// Kafka record value (the CloudEvent's bytes).
    public var payload: Data
    /// Kafka record headers.
    public var headers: [String: String]
    /// When it was enqueued (the enqueuing transaction's start time); `nil` before it is stored.
    public var createdAt: Date?
    /// Failed sends so far (as claimed by the relay); `0` otherwise.
    public var attempts: Int = 0

    public init(
        notificationId: String,
        topic: String,
        key: String,
        payload: Data,
        headers: [String: String] = [:],
        createdAt: Date? = nil
    ) {
        self.notificationId = notificationId
        self.topic = topic
        self.key = key
        self.payload = payload
        self.headers = headers
        self.createdAt = createdAt
    }
}
