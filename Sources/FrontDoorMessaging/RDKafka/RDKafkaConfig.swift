import CRdKafka

// The one place where configuration types become librdkafka property strings.

extension KafkaConsumerConfiguration {
    var properties: [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": self.bootstrapServers.joined(separator: ","),
            "group.id": self.groupID,
            "client.id": self.clientID,
            "session.timeout.ms": String(self.sessionTimeout.rdKafkaMilliseconds),
            "heartbeat.interval.ms": String(self.heartbeatInterval.rdKafkaMilliseconds),
            "max.poll.interval.ms": String(self.maxPollInterval.rdKafkaMilliseconds),
            "auto.offset.reset": self.autoOffsetReset.value,
            // Prefetch at most 4 MiB, and fetch at most 4 MiB at a time (librdkafka's defaults:
            // 64 MiB and 50 MiB). Behind a backlog the queue fills to its limit: the attendance
            // worker peaked at 187 MiB with the defaults, 163-176 with a 16 MiB queue and 143
            // with these, against 80-92 MiB when it keeps up (`bench attendance`'s latency
            // phase). 4 MiB is about 8,000 marks, sixteen default batches; a message larger than
            // the fetch limit is still fetched, alone. FRONTDOOR_KAFKA_* overrides either.
            "queued.max.messages.kbytes": "4096",
            "fetch.max.bytes": "4194304",
        ]
        if let statisticsInterval = self.statisticsInterval {
            properties["statistics.interval.ms"] = String(statisticsInterval.rdKafkaMilliseconds)
        }
        properties.merge(self.additionalProperties) { _, additional in additional }
        // The consumer's API (explicit store and commit, incremental rebalance hooks) relies on these.
        properties["enable.auto.commit"] = "false"
        properties["enable.auto.offset.store"] = "false"
        properties["partition.assignment.strategy"] = "cooperative-sticky"
        return properties
    }
}

extension KafkaProducerConfiguration {
    var properties: [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": self.bootstrapServers.joined(separator: ","),
            "client.id": self.clientID,
            "linger.ms": String(self.linger.rdKafkaMilliseconds),
            "batch.num.messages": String(self.batchMessages),
            "batch.size": String(self.batchBytes),
            "message.timeout.ms": String(self.messageTimeout.rdKafkaMilliseconds),
            "compression.codec": self.compression.value,
        ]
        properties.merge(self.additionalProperties) { _, additional in additional }
        properties["enable.idempotence"] = "true"
        return properties
    }
}

extension KafkaAdminConfiguration {
    var properties: [String: String] {
        var properties: [String: String] = [
            "bootstrap.servers": self.bootstrapServers.joined(separator: ","),
            "client.id": self.clientID,
        ]
        properties.merge(self.additionalProperties) { _, additional in additional }
        return properties
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so that a positive duration never becomes 0 (which means
    /// "disabled" or "no wait" for several librdkafka properties).
    var rdKafkaMilliseconds: Int {
        let (seconds, attoseconds) = self.components
        let fraction = attoseconds > 0 ? (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000 : 0
        return Int(seconds) * 1000 + Int(fraction)
    }

    /// Milliseconds for a librdkafka `timeout_ms` argument, clamped to `0...Int32.max`.
    var rdKafkaTimeout: Int32 {
        Int32(clamping: max(0, self.rdKafkaMilliseconds))
    }
}

/// Builds `rd_kafka_conf_t` objects.
enum RDKafkaConfig {
    /// A new `rd_kafka_conf_t` holding `properties`; the caller owns it.
    ///
    /// - Throws: ``KafkaError/Code-swift.struct/configuration`` naming the rejected key (never its
    ///   value, which may be a password).
    static func make(properties: [String: String]) throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else {
            throw KafkaError.client(reason: "rd_kafka_conf_new failed")
        }
        // Sorted so that a failure is reported the same way every time.
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            do {
                try self.set(conf, key: key, value: value)
            } catch {
                rd_kafka_conf_destroy(conf)
                throw error
            }
        }
        return conf
    }

    static func set(_ conf: OpaquePointer, key: String, value: String) throws(KafkaError) {
        var errorString = [CChar](repeating: 0, count: 512)
        let result = rd_kafka_conf_set(conf, key, value, &errorString, errorString.count)
        guard result == RD_KAFKA_CONF_OK else {
            let detail = String(decoding: errorString.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // librdkafka's message may quote the value; report it only for unknown keys.
            let reason =
                result == RD_KAFKA_CONF_UNKNOWN
                ? "unknown librdkafka property '\(key)': \(detail)"
                : "invalid value for librdkafka property '\(key)'"
            throw KafkaError.configuration(result, reason: reason)
        }
    }
}
