import Crypto
import Foundation
import FrontDoorDomain
import FrontDoorMessaging
import Logging

/// Sends rejected messages to `<topic>.dlq` so that the DLQ can always take a reject.
///
/// - Each reject goes first as it came: the original key, value and headers plus the error
///   headers of events.md (`frontdoor-error-code`, `frontdoor-error`, `frontdoor-original-topic`,
///   `frontdoor-original-partition`, `frontdoor-original-offset`).
/// - When that send is refused permanently (``KafkaError/isPermanent``: over `message.max.bytes`
///   locally, "Message size too large" from the broker, an invalid record…), a **stub** goes
///   instead: no value, the original headers (bounded: ``stubHeaderBytes``), the error headers,
///   `frontdoor-original-size` (bytes of the value) and `frontdoor-original-sha256` (hex SHA-256
///   of the value), `frontdoor-original-headers-dropped` when headers did not fit, and
///   `frontdoor-dlq-refused` (the librdkafka error code that refused the original).
/// - When even the stub is refused permanently (the DLQ topic denied or invalid), the reject is
///   logged as an error and counted; it stays recorded in `rejected_events` (written in the
///   batch's transaction by the caller) and the partition moves on. The DLQ is then missing that
///   reject: an operator finds it in `rejected_events` by topic, partition and offset.
/// - A transient failure (timeout, broker unavailable) throws: the caller retries the batch, as
///   for a database outage. Rejects already delivered may then reach the DLQ twice (at least once).
struct DeadLetterQueue: Sendable {
    /// The most bytes of original headers (names and values) a stub carries; the rest are dropped.
    static let stubHeaderBytes = 16 * 1024
    /// A stub keeps the original key up to this many bytes, and drops a longer one.
    static let stubKeyBytes = 1024

    let producer: KafkaProducer
    let topics: TopicNames
    let logger: Logger

    /// How a reject reached the DLQ.
    enum Form: String, Sendable {
        case original, stub
        /// Refused even as a stub: recorded in `rejected_events` and logged only.
        case none
    }

    /// Sends every reject (see the type's documentation) and returns how each one went, in order.
    ///
    /// - Throws: the first transient ``KafkaError``: nothing is lost by retrying the batch.
    @discardableResult
    func send(_ rejects: [RejectedMessage]) async throws(KafkaError) -> [Form] {
        guard !rejects.isEmpty else { return [] }
        var forms = [Form](repeating: .original, count: rejects.count)
        var refused: [(index: Int, error: KafkaError)] = []
        var stubErrors: [Int: KafkaError] = [:]
        for (index, result) in await producer.send(rejects.map(original)).enumerated() {
            guard case .failure(let error) = result else { continue }
            guard error.isPermanent else { throw error }
            refused.append((index, error))
        }
        if !refused.isEmpty {
            let stubs = refused.map { stub(of: rejects[$0.index], refusedCode: $0.error.rdKafkaCode) }
            for (attempt, result) in zip(refused, await producer.send(stubs)) {
                switch result {
                case .success:
                    forms[attempt.index] = .stub
                case .failure(let error) where error.isPermanent:
                    forms[attempt.index] = .none
                    stubErrors[attempt.index] = error
                case .failure(let error):
                    throw error
                }
            }
        }
        for (index, (r, form)) in zip(rejects, forms).enumerated() {
            var metadata: Logger.Metadata = [
                "code": "\(r.reject.code.rawValue)", "topic": "\(r.message.topic)", "partition": "\(r.message.partition)",
                "offset": "\(r.message.offset)", "dlq.form": "\(form.rawValue)",
            ]
            if let id = Self.correlationID(of: r.message.value) { metadata[LogKeys.eventID] = "\(id)" }
            switch form {
            case .original, .stub:
                logger.notice("rejected to dead-letter queue", metadata: metadata)
            case .none:
                metadata["error"] = "\(stubErrors[index].map(\.description) ?? "")"
                logger.error(
                    "dead-letter queue refused the reject even as a stub; it is recorded in rejected_events only",
                    metadata: metadata)
            }
        }
        return forms
    }

    /// The CloudEvents `id` of a rejected value when it has one (a string of at most
    /// ``LogKeys/maximumEventIDLength`` characters at the top level of a JSON object), for the logs.
    static func correlationID(of value: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any],
            let id = object["id"] as? String, !id.isEmpty, id.count <= LogKeys.maximumEventIDLength
        else { return nil }
        return id
    }

    /// The error headers of events.md.
    private func errorHeaders(_ r: RejectedMessage) -> [KafkaHeader] {
        [
            KafkaHeader(key: "frontdoor-error-code", string: r.reject.code.rawValue),
            KafkaHeader(key: "frontdoor-error", string: r.reject.message),
            KafkaHeader(key: "frontdoor-original-topic", string: r.message.topic),
            KafkaHeader(key: "frontdoor-original-partition", string: String(r.message.partition)),
            KafkaHeader(key: "frontdoor-original-offset", string: String(r.message.offset)),
        ]
    }

    /// The reject as it came, with the error headers.
    func original(_ r: RejectedMessage) -> KafkaProducerMessage {
        KafkaProducerMessage(
            topic: topics.dlq(of: r.message.topic), key: r.message.key, value: r.message.value,
            headers: r.message.headers + errorHeaders(r))
    }

    /// The reject without its value, with bounded headers, its size and its SHA-256.
    func stub(of r: RejectedMessage, refusedCode: Int32?) -> KafkaProducerMessage {
        var kept: [KafkaHeader] = []
        var bytes = 0
        var dropped = 0
        for header in r.message.headers {
            let size = header.key.utf8.count + (header.value?.count ?? 0)
            if dropped == 0 && bytes + size <= Self.stubHeaderBytes {
                kept.append(header)
                bytes += size
            } else {
                dropped += 1
            }
        }
        var headers = kept + errorHeaders(r)
        headers.append(KafkaHeader(key: "frontdoor-original-size", string: String(r.message.value.count)))
        headers.append(KafkaHeader(key: "frontdoor-original-sha256", string: Self.sha256Hex(r.message.value)))
        if dropped > 0 { headers.append(KafkaHeader(key: "frontdoor-original-headers-dropped", string: String(dropped))) }
        headers.append(KafkaHeader(key: "frontdoor-dlq-refused", string: refusedCode.map(String.init) ?? "unknown"))
        let key = r.message.key.flatMap { $0.count <= Self.stubKeyBytes ? $0 : nil }
        return KafkaProducerMessage(topic: topics.dlq(of: r.message.topic), key: key, value: [], headers: headers)
    }

    /// Lower-case hex SHA-256 of `bytes`.
    static func sha256Hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in SHA256.hash(data: bytes) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
