import CRdKafka

/// An error raised by the messaging layer.
///
/// Errors compare by ``code`` only. ``reason`` comes from librdkafka (`rd_kafka_err2str` or its
/// `errstr` buffers) or from this module, and never contains message keys, values or headers,
/// so an error may be logged as it is.
public struct KafkaError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case configuration
            case client
            case broker
            case delivery
            case timedOut
            case closed
        }

        private let base: Base

        /// A property was rejected by librdkafka, or a value of this module was invalid.
        public static let configuration = Code(base: .configuration)
        /// librdkafka could not create a client handle.
        public static let client = Code(base: .client)
        /// An operation (subscribe, store, commit, pause, admin, metadata…) failed; see ``KafkaError/rdKafkaCode``.
        public static let broker = Code(base: .broker)
        /// A produced message was not acknowledged by the broker (for example it timed out after
        /// `message.timeout.ms`, or was purged when the producer closed); see ``KafkaError/rdKafkaCode``.
        public static let delivery = Code(base: .delivery)
        /// An operation did not complete within its timeout.
        public static let timedOut = Code(base: .timedOut)
        /// The client was already closed.
        public static let closed = Code(base: .closed)

        public var description: String { "\(self.base)" }
    }

    /// What kind of failure this is.
    public let code: Code
    /// The raw `rd_kafka_resp_err_t`, when librdkafka produced the error.
    public let rdKafkaCode: Int32?
    /// A human-readable reason, free of personal data.
    public let reason: String
    /// Where the error was raised (`#fileID:#line`).
    public let location: String

    init(code: Code, rdKafkaCode: Int32?, reason: String, file: String, line: Int) {
        self.code = code
        self.rdKafkaCode = rdKafkaCode
        self.reason = reason
        self.location = "\(file):\(line)"
    }

    public var description: String {
        if let rdKafkaCode = self.rdKafkaCode {
            return "KafkaError.\(self.code) (\(rdKafkaCode)): \(self.reason)"
        }
        return "KafkaError.\(self.code): \(self.reason)"
    }

    public var debugDescription: String { "\(self.description) at \(self.location)" }

    public static func == (lhs: KafkaError, rhs: KafkaError) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(self.code) }

    // MARK: Factories

    static func configuration(reason: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(code: .configuration, rdKafkaCode: nil, reason: reason, file: file, line: line)
    }

    static func configuration(
        _ result: rd_kafka_conf_res_t,
        reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        KafkaError(code: .configuration, rdKafkaCode: result.rawValue, reason: reason, file: file, line: line)
    }

    static func client(reason: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(code: .client, rdKafkaCode: nil, reason: reason, file: file, line: line)
    }

    static func broker(_ error: rd_kafka_resp_err_t, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(
            code: .broker,
            rdKafkaCode: error.rawValue,
            reason: String(cString: rd_kafka_err2str(error)),
            file: file,
            line: line
        )
    }

    static func broker(
        _ error: rd_kafka_resp_err_t,
        reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> KafkaError {
        KafkaError(code: .broker, rdKafkaCode: error.rawValue, reason: reason, file: file, line: line)
    }

    /// Wraps and destroys an `rd_kafka_error_t`.
    static func consuming(_ error: OpaquePointer, file: String = #fileID, line: Int = #line) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        return KafkaError(
            code: .broker,
            rdKafkaCode: rd_kafka_error_code(error).rawValue,
            reason: String(cString: rd_kafka_error_string(error)),
            file: file,
            line: line
        )
    }

    static func delivery(_ error: rd_kafka_resp_err_t, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(
            code: .delivery,
            rdKafkaCode: error.rawValue,
            reason: String(cString: rd_kafka_err2str(error)),
            file: file,
            line: line
        )
    }

    static func timedOut(reason: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(
            code: .timedOut,
            rdKafkaCode: RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue,
            reason: reason,
            file: file,
            line: line
        )
    }

    static func closed(reason: String, file: String = #fileID, line: Int = #line) -> KafkaError {
        KafkaError(code: .closed, rdKafkaCode: nil, reason: reason, file: file, line: line)
    }
}
