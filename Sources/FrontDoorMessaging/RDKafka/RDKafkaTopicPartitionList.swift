import CRdKafka

/// Builds and reads `rd_kafka_topic_partition_list_t`.
enum RDKafkaTopicPartitionList {
    typealias Pointer = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    /// Runs `body` with a new list of `partitions` (offsets left as `RD_KAFKA_OFFSET_INVALID`),
    /// destroying it afterwards.
    static func with<T, E: Error>(
        _ partitions: [KafkaTopicPartition],
        _ body: (Pointer) throws(E) -> T
    ) throws(E) -> T {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: partitions.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for partition in partitions {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)
        }
        return try body(list)
    }

    /// Runs `body` with a new list of `offsets`, destroying it afterwards.
    static func with<T, E: Error>(
        _ offsets: [KafkaTopicPartitionOffset],
        _ body: (Pointer) throws(E) -> T
    ) throws(E) -> T {
        let list = rd_kafka_topic_partition_list_new(Int32(clamping: offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for offset in offsets {
            rd_kafka_topic_partition_list_add(list, offset.topic, offset.partition).pointee.offset = offset.offset
        }
        return try body(list)
    }

    static func partitions(of list: Pointer) -> [KafkaTopicPartition] {
        let count = Int(list.pointee.cnt)
        var result: [KafkaTopicPartition] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let element = list.pointee.elems[index]
            result.append(KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition))
        }
        return result
    }

    static func offsets(of list: Pointer) -> [KafkaTopicPartitionOffset] {
        let count = Int(list.pointee.cnt)
        var result: [KafkaTopicPartitionOffset] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let element = list.pointee.elems[index]
            result.append(
                KafkaTopicPartitionOffset(
                    topic: String(cString: element.topic),
                    partition: element.partition,
                    offset: element.offset
                )
            )
        }
        return result
    }

    /// The per-partition errors librdkafka left in `list`, skipping those in `ignoring`.
    static func firstError(
        in list: Pointer,
        ignoring ignored: Set<rd_kafka_resp_err_t.RawValue> = []
    ) -> rd_kafka_resp_err_t? {
        for index in 0..<Int(list.pointee.cnt) {
            let error = list.pointee.elems[index].err
            if error != RD_KAFKA_RESP_ERR_NO_ERROR && !ignored.contains(error.rawValue) {
                return error
            }
        }
        return nil
    }
}
