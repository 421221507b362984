/// A Kafka record header: a string key and optional bytes.
public struct KafkaHeader: Sendable, Hashable {
    /// The header's name. Kafka allows the same name more than once in a record.
    public var key: String
    /// The header's value; `nil` is a header with a null value.
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// A header whose value is the UTF-8 bytes of `value`.
    public init(key: String, string value: String) {
        self.key = key
        self.value = Array(value.utf8)
    }
}
