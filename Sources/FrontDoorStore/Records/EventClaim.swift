/// The identity of an input event: CloudEvents `(source, id)`.
public struct EventKey: Sendable, Hashable, CustomStringConvertible {
    /// CloudEvents `source`, e.g. `urn:laestab:8862001`.
    public var source: String
    /// CloudEvents `id`.
    public var id: String

    public init(source: String, id: String) {
        self.source = source
        self.id = id
    }

    /// `source#id`; no personal data (ids are opaque).
    public var description: String { "\(self.source)#\(self.id)" }
}

/// A request to mark an event as processed, with where it was read from (kept for tracing).
public struct EventClaim: Sendable, Hashable {
    public var key: EventKey
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(source: String, id: String, topic: String, partition: Int32, offset: Int64) {
        self.key = EventKey(source: source, id: id)
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// A message sent to a dead-letter topic, as counted in `rejected_events` (no payload).
public struct RejectedEventRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The reject code, e.g. `invalid-json`.
    public var errorCode: String

    public init(topic: String, partition: Int32, offset: Int64, errorCode: String) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.errorCode = errorCode
    }
}
