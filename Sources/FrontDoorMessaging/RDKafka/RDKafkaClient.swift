import CRdKafka
import Logging
import Synchronization

/// Owns an `rd_kafka_t` and the context its C callbacks reach through `rd_kafka_opaque`.
///
/// `@unchecked Sendable`: librdkafka handles are thread-safe, and the pointer never changes.
final class RDKafkaClient: @unchecked Sendable {
    let handle: OpaquePointer
    /// Kept alive as long as the handle: the C callbacks read it through an unretained pointer.
    /// `deinit` destroys the handle first, and stored properties are released after `deinit`
    /// returns, so no callback can see a freed context.
    let context: RDKafkaClientContext

    /// Creates a client of `type` from `properties`, installing `context` as the opaque value
    /// and letting `configure` register callbacks on the `rd_kafka_conf_t` first.
    init(
        type: rd_kafka_type_t,
        properties: [String: String],
        context: RDKafkaClientContext,
        configure: (OpaquePointer) -> Void = { _ in }
    ) throws(KafkaError) {
        do {
            try LibrdkafkaVersion.requireSupported()
        } catch {
            throw KafkaError.client(reason: "\(error)")
        }
        let conf = try RDKafkaConfig.make(properties: properties)
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(context).toOpaque())
        rd_kafka_conf_set_log_cb(conf, rdKafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdKafkaErrorCallback)
        configure(conf)

        var errorString = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(type, conf, &errorString, errorString.count) else {
            // rd_kafka_new takes ownership of the conf only when it succeeds.
            rd_kafka_conf_destroy(conf)
            let reason = String(decoding: errorString.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KafkaError.client(reason: reason)
        }
        self.handle = handle
        self.context = context
    }

    deinit {
        rd_kafka_destroy(self.handle)
    }

    /// The fatal error that stopped the client (idempotent producer sequence gaps and the like), if any.
    func fatalError() -> KafkaError? {
        var buffer = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(self.handle, &buffer, buffer.count)
        guard code != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return KafkaError.broker(code, reason: "fatal: \(reason)")
    }
}

/// What the C callbacks of one client need. Reached through `rd_kafka_opaque(rk)`.
final class RDKafkaClientContext: Sendable {
    let logger: Logger
    /// Consumer only: the caller's hooks and the bookkeeping for messages of revoked partitions.
    let rebalance: RDKafkaRebalanceState?
    /// Consumer only: lag figures from the latest statistics.
    let statistics: RDKafkaStatisticsStore?
    /// The latest SASL or TLS authentication failure librdkafka reported (its text names the
    /// mechanism and the broker's answer, never the password), so a request that then times out
    /// can say why.
    let authenticationFailure = Mutex<String?>(nil)

    init(logger: Logger, rebalance: RDKafkaRebalanceState? = nil, statistics: RDKafkaStatisticsStore? = nil) {
        self.logger = logger
        self.rebalance = rebalance
        self.statistics = statistics
    }

    static func from(_ handle: OpaquePointer?) -> RDKafkaClientContext? {
        guard let handle, let opaque = rd_kafka_opaque(handle) else { return nil }
        return Unmanaged<RDKafkaClientContext>.fromOpaque(opaque).takeUnretainedValue()
    }
}

/// librdkafka's log lines go to the client's `Logger`. Called on librdkafka's own threads.
private func rdKafkaLogCallback(
    _ handle: OpaquePointer?,
    _ level: Int32,
    _ facility: UnsafePointer<CChar>?,
    _ message: UnsafePointer<CChar>?
) {
    guard let context = RDKafkaClientContext.from(handle) else { return }
    let logLevel: Logger.Level =
        switch level {
        case ...3: .error  // emerg, alert, crit, err
        case 4: .warning
        case 5: .notice
        case 6: .info
        default: .debug
        }
    guard context.logger.logLevel <= logLevel else { return }
    let facility = facility.map { String(cString: $0) } ?? ""
    let text = message.map { String(cString: $0) } ?? ""
    context.logger.log(level: logLevel, "\(text)", metadata: [KafkaLoggingKeys.facility: "\(facility)"])
}

/// Client-level errors (all brokers down, authentication failures…). librdkafka retries on its
/// own; these are informational unless fatal.
private func rdKafkaErrorCallback(
    _ handle: OpaquePointer?,
    _ code: Int32,
    _ reason: UnsafePointer<CChar>?,
    _ opaque: UnsafeMutableRawPointer?
) {
    guard let context = RDKafkaClientContext.from(handle) else { return }
    let error = rd_kafka_resp_err_t(rawValue: code)
    let text = reason.map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(error))
    if error == RD_KAFKA_RESP_ERR__AUTHENTICATION || error == RD_KAFKA_RESP_ERR__SSL {
        context.authenticationFailure.withLock { $0 = text }
    }
    let level: Logger.Level = error == RD_KAFKA_RESP_ERR__FATAL ? .critical : .warning
    context.logger.log(level: level, "librdkafka error: \(text)", metadata: [KafkaLoggingKeys.errorCode: "\(code)"])
}
