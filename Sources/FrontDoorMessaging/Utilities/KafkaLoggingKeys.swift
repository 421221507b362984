/// Logging metadata keys used by this module.
enum KafkaLoggingKeys {
    static let facility = "kafka.facility"
    static let errorCode = "kafka.error.code"
    static let topic = "kafka.topic"
    static let partition = "kafka.partition"
    static let partitions = "kafka.partitions"
}
