import CRdKafka
import Logging
import Synchronization

/// Runs the caller's ``KafkaRebalanceHandler`` from librdkafka's rebalance callback and completes
/// the incremental assignment or revocation.
///
/// Also records which partitions were revoked, so that the poll loop (on the same thread, right
/// after the `rd_kafka_consumer_poll` that served the callback) can drop the messages of those
/// partitions it had collected but not yet returned.
final class RDKafkaRebalanceState: Sendable {
    let handler: (any KafkaRebalanceHandler)?
    private let revocationCount = Atomic<UInt64>(0)
    private let revoked = Mutex<Set<KafkaTopicPartition>>([])

    init(handler: (any KafkaRebalanceHandler)?) {
        self.handler = handler
    }

    /// How many revocations have happened; cheap to read on every poll.
    var revocations: UInt64 { self.revocationCount.load(ordering: .acquiring) }

    /// The partitions revoked since the last call.
    func takeRevoked() -> Set<KafkaTopicPartition> {
        self.revoked.withLock { revoked in
            defer { revoked.removeAll() }
            return revoked
        }
    }

    func rebalance(
        handle: OpaquePointer,
        error: rd_kafka_resp_err_t,
        list: RDKafkaTopicPartitionList.Pointer?,
        logger: Logger
    ) {
        let cooperative = rd_kafka_rebalance_protocol(handle).map { String(cString: $0) } == "COOPERATIVE"
        let partitions = list.map(RDKafkaTopicPartitionList.partitions(of:)) ?? []
        switch error {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            self.assign(handle: handle, list: list, partitions: partitions, cooperative: cooperative, logger: logger)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            self.revoke(handle: handle, list: list, partitions: partitions, cooperative: cooperative, logger: logger)
        default:
            // librdkafka asks the application to drop its whole assignment to resynchronise.
            logger.warning(
                "Rebalance error, dropping the assignment",
                metadata: [KafkaLoggingKeys.errorCode: "\(error.rawValue)"]
            )
            let current = Self.currentAssignment(handle)
            self.record(revoked: current)
            self.handler?.partitionsRevoked(current, lost: true)
            if cooperative {
                RDKafkaTopicPartitionList.with(current) { list in
                    Self.check(rd_kafka_incremental_unassign(handle, list), "incremental unassign", logger)
                }
            } else {
                Self.check(rd_kafka_assign(handle, nil), "unassign", logger)
            }
        }
    }

    private func assign(
        handle: OpaquePointer,
        list: RDKafkaTopicPartitionList.Pointer?,
        partitions: [KafkaTopicPartition],
        cooperative: Bool,
        logger: Logger
    ) {
        // A cooperative rebalance often ends with an empty assignment for members that gain
        // nothing; librdkafka still needs the incremental assign, the caller needs no call.
        var starts: [KafkaTopicPartition: Int64] = [:]
        if !partitions.isEmpty {
            starts = self.handler?.partitionsAssigned(partitions) ?? [:]
            logger.info(
                "Partitions assigned",
                metadata: [
                    KafkaLoggingKeys.partitions: "\(partitions.map(\.description).joined(separator: ","))",
                    "kafka.start-offsets": "\(starts.count)",
                ]
            )
        }
        guard let list else {
            if !cooperative { Self.check(rd_kafka_assign(handle, nil), "assign", logger) }
            return
        }
        // Start each partition where the caller says; RD_KAFKA_OFFSET_INVALID (the default in the
        // list) means the committed offset, or auto.offset.reset.
        let copy = rd_kafka_topic_partition_list_copy(list)!
        defer { rd_kafka_topic_partition_list_destroy(copy) }
        for index in 0..<Int(copy.pointee.cnt) {
            let element = copy.pointee.elems[index]
            let key = KafkaTopicPartition(topic: String(cString: element.topic), partition: element.partition)
            if let start = starts[key] {
                copy.pointee.elems[index].offset = start
            }
        }
        if cooperative {
            Self.check(rd_kafka_incremental_assign(handle, copy), "incremental assign", logger)
        } else {
            Self.check(rd_kafka_assign(handle, copy), "assign", logger)
        }
        // Paused before this callback returns, so no poll returns a message of these partitions
        // until the caller resumes them (librdkafka discards anything already fetched).
        if !partitions.isEmpty, self.handler?.pausesAssignedPartitions == true {
            Self.check(rd_kafka_pause_partitions(handle, copy), "pause", logger)
        }
    }

    private func revoke(
        handle: OpaquePointer,
        list: RDKafkaTopicPartitionList.Pointer?,
        partitions: [KafkaTopicPartition],
        cooperative: Bool,
        logger: Logger
    ) {
        let lost = rd_kafka_assignment_lost(handle) != 0
        if !partitions.isEmpty {
            logger.info(
                "Partitions revoked",
                metadata: [
                    KafkaLoggingKeys.partitions: "\(partitions.map(\.description).joined(separator: ","))",
                    "kafka.lost": "\(lost)",
                ]
            )
            self.record(revoked: partitions)
            self.handler?.partitionsRevoked(partitions, lost: lost)
        }
        if cooperative, let list {
            Self.check(rd_kafka_incremental_unassign(handle, list), "incremental unassign", logger)
        } else {
            Self.check(rd_kafka_assign(handle, nil), "unassign", logger)
        }
    }

    private func record(revoked partitions: [KafkaTopicPartition]) {
        guard !partitions.isEmpty else { return }
        self.revoked.withLock { $0.formUnion(partitions) }
        self.revocationCount.add(1, ordering: .releasing)
    }

    static func currentAssignment(_ handle: OpaquePointer) -> [KafkaTopicPartition] {
        var list: RDKafkaTopicPartitionList.Pointer?
        guard rd_kafka_assignment(handle, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list else { return [] }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        return RDKafkaTopicPartitionList.partitions(of: list)
    }

    private static func check(_ error: OpaquePointer?, _ operation: String, _ logger: Logger) {
        guard let error else { return }
        let kafkaError = KafkaError.consuming(error)
        logger.error("Rebalance \(operation) failed: \(kafkaError)")
    }

    private static func check(_ error: rd_kafka_resp_err_t, _ operation: String, _ logger: Logger) {
        guard error != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
        logger.error("Rebalance \(operation) failed: \(KafkaError.broker(error))")
    }
}

/// librdkafka's rebalance callback; runs inside `rd_kafka_consumer_poll` or `rd_kafka_consumer_close`
/// on the consumer's poll thread.
func rdKafkaRebalanceCallback(
    _ handle: OpaquePointer?,
    _ error: rd_kafka_resp_err_t,
    _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let handle, let context = RDKafkaClientContext.from(handle), let rebalance = context.rebalance else {
        return
    }
    rebalance.rebalance(handle: handle, error: error, list: list, logger: context.logger)
}
