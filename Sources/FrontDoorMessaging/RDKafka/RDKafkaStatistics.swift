import CRdKafka
import Foundation
import Synchronization

/// Keeps the per-partition consumer lag from librdkafka's latest statistics JSON.
final class RDKafkaStatisticsStore: Sendable {
    private let lag = Mutex<[KafkaTopicPartition: Int64]>([:])

    var consumerLag: [KafkaTopicPartition: Int64] { self.lag.withLock { $0 } }

    /// Parses `topics.<topic>.partitions.<partition>.consumer_lag`, keeping partitions with a known
    /// (non-negative) lag. Returns `false` when the JSON could not be read.
    @discardableResult
    func update(json: Data) -> Bool {
        guard let statistics = try? JSONDecoder().decode(Statistics.self, from: json) else { return false }
        var lag: [KafkaTopicPartition: Int64] = [:]
        for (topic, topicStatistics) in statistics.topics ?? [:] {
            for partition in topicStatistics.partitions?.values ?? [:].values {
                // -1 is librdkafka's internal "unassigned" partition; lag -1 means unknown.
                guard partition.partition >= 0, let consumerLag = partition.consumer_lag, consumerLag >= 0 else {
                    continue
                }
                lag[KafkaTopicPartition(topic: topic, partition: partition.partition)] = consumerLag
            }
        }
        self.lag.withLock { $0 = lag }
        return true
    }

    private struct Statistics: Decodable {
        var topics: [String: Topic]?
    }

    private struct Topic: Decodable {
        var partitions: [String: Partition]?
    }

    // swift-format-ignore: AlwaysUseLowerCamelCase
    private struct Partition: Decodable {
        var partition: Int32
        var consumer_lag: Int64?
    }
}

/// librdkafka's statistics callback; served by the consumer's poll. Returning 0 lets librdkafka
/// free the JSON buffer.
func rdKafkaStatisticsCallback(
    _ handle: OpaquePointer?,
    _ json: UnsafeMutablePointer<CChar>?,
    _ length: Int,
    _ opaque: UnsafeMutableRawPointer?
) -> Int32 {
    guard let json, let statistics = RDKafkaClientContext.from(handle)?.statistics else { return 0 }
    statistics.update(json: Data(bytes: json, count: length))
    return 0
}
