import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging

/// The Digital Front Door over HTTP(S): schools, agencies and officers' tools post CloudEvents
/// (structured, binary or batched mode) to `POST /events`; a safeguarding lead uses the form at
/// `/refer`.
///
/// Guarantees:
/// - Every request is authenticated by its `Authorization: Bearer <key>` against the hashes in
///   `gateway_clients` (revoked keys never pass): `401` otherwise.
/// - A body over ``GatewaySettings/maximumBodyBytes`` or with more than
///   ``GatewaySettings/maximumEvents`` events is refused with `413` before any event is decoded.
/// - A client over its rate (token bucket of events) gets `429` with `Retry-After`; nothing of
///   that request is decoded or published.
/// - Each event is validated, authorized and published as ``EventIntake`` says; the answer comes
///   only after the broker acknowledged.
/// - No event content reaches a log: log lines name the client, the mode, counts and the status.
public struct Gateway: Sendable {
    public let settings: GatewaySettings
    public let intake: EventIntake
    public let register: SchoolRegister
    public let database: FrontDoorDatabase
    public let limiter: RateLimiter
    public let logger: Logger

    public init(
        settings: GatewaySettings, topics: TopicNames, config: LoadedConfig, database: FrontDoorDatabase, producer: KafkaProducer,
        logger: Logger
    ) {
        self.settings = settings
        self.intake = EventIntake(routing: EventRouting(topics: topics), calendar: config.calendar, producer: producer)
        self.register = config.register
        self.database = database
        self.limiter = RateLimiter(eventsPerSecond: settings.eventsPerSecond, burst: settings.effectiveBurst)
        self.logger = logger
    }

    /// The producer configuration the gateway uses: the workers' idempotent producer, with
    /// ``GatewaySettings/publishTimeout`` as `message.timeout.ms` and a short linger, since a
    /// request waits for its acknowledgements.
    public static func producerConfiguration(worker: WorkerSettings, gateway: GatewaySettings) -> KafkaProducerConfiguration {
        var c = worker.producerConfiguration(clientID: "frontdoor-gateway")
        c.messageTimeout = gateway.publishTimeout
        return c
    }

    // MARK: Routes

    /// The gateway's routes (docs/gateway.openapi.yaml describes each; a test keeps them equal).
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/events") { request, _ in await self.events(request) }
        router.get("/refer") { _, _ in ReferralForm.page(ReferralForm.Input(), errors: []).response(status: .ok) }
        router.post("/refer") { request, _ in await self.referral(request) }
        return router
    }

    /// The application: the router on ``GatewaySettings/host``:``GatewaySettings/port``, HTTPS when
    /// both TLS files are set.
    ///
    /// - Throws: when the TLS certificate or key cannot be read.
    public func application() throws -> some ApplicationProtocol {
        let server: HTTPServerBuilder
        if let cert = settings.tlsCertificatePath, let key = settings.tlsKeyPath {
            let chain = try NIOSSLCertificate.fromPEMFile(cert)
            let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
            server = try .tls(.http1(), tlsConfiguration: tls)
        } else {
            server = .http1()
        }
        return Application(
            router: router(),
            server: server,
            configuration: ApplicationConfiguration(address: .hostname(settings.host, port: settings.port), serverName: "frontdoor-gateway"),
            logger: logger
        )
    }

    // MARK: POST /events

    func events(_ request: Request) async -> Response {
        let client: GatewayClient
        switch await authenticate(request.headers[.authorization]) {
        case .success(let c): client = c
        case .failure(let e): return e.response
        }
        let body: [UInt8]
        switch await readBody(request) {
        case .success(let b): body = b
        case .failure(let e): return e.response
        }
        let hasSpecversion = request.headers.contains { $0.name.canonicalName == "ce-specversion" }
        guard let mode = CloudEventsHTTP.mode(contentType: request.headers[.contentType], hasSpecversionHeader: hasSpecversion)
        else {
            return Self.problem(
                .unsupportedMediaType, "unsupported-media-type",
                "Send application/cloudevents+json (one event), application/cloudevents-batch+json (a JSON array of events) or binary mode (ce-* headers and a JSON body)."
            )
        }
        let candidates: [CloudEventsHTTP.Candidate]
        switch mode {
        case .structured:
            candidates = [CloudEventsHTTP.Candidate(value: body, headers: [])]
        case .binary:
            let headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
            candidates = [CloudEventsHTTP.binaryCandidate(headers: headers, body: body)]
        case .batched:
            guard let elements = CloudEventsHTTP.splitBatch(body) else {
                return Self.problem(.badRequest, RejectCode.invalidJSON.rawValue, "A batch must be one JSON array of events.")
            }
            guard elements.count <= settings.maximumEvents else {
                return Self.problem(
                    .contentTooLarge, "too-many-events", "A batch may hold at most \(settings.maximumEvents) events; split it.")
            }
            candidates = elements.map { CloudEventsHTTP.Candidate(value: Array($0), headers: []) }
        }
        if let wait = limiter.take(candidates.count, client: client.id) {
            var headers = HTTPFields()
            headers[.retryAfter] = String(wait)
            return Self.problem(
                .tooManyRequests, "rate-limited",
                "This client is over its rate of \(Int(settings.eventsPerSecond)) events a second; retry after \(wait) s.",
                headers: headers)
        }
        let (status, answer) = await intake.accept(candidates, mode: mode, from: client)
        logger.info(
            "events",
            metadata: [
                "client": "\(client.id)", "mode": "\(mode.rawValue)", "events": "\(candidates.count)",
                "published": "\(answer.published ?? 0)", "status": "\(status)",
            ])
        var headers = HTTPFields()
        if status == 503 { headers[.retryAfter] = "5" }
        return Self.json(HTTPResponse.Status(code: status), answer, headers: headers)
    }

    /// The client of a bearer key, or the `401`/`503` answer.
    func authenticate(_ authorization: String?) async -> Result<GatewayClient, ResponseError> {
        guard let authorization, let key = ClientKey(authorization: authorization) else {
            return .failure(Self.unauthorized())
        }
        let record: GatewayClientRecord?
        do {
            record = try await database.withTransaction(readOnly: true) { tx in
                try await tx.activeGatewayClient(keySHA256: key.sha256Hex)
            }
        } catch {
            logger.error("client lookup failed", metadata: ["error": "\(String(describing: (error as? StoreError)?.code))"])
            var headers = HTTPFields()
            headers[.retryAfter] = "5"
            return .failure(
                ResponseError(
                    Self.problem(.serviceUnavailable, "database-unavailable", "Credentials cannot be checked now; retry later.", headers: headers)))
        }
        guard let record, let client = GatewayClient(record: record) else { return .failure(Self.unauthorized()) }
        return .success(client)
    }

    /// The request body, or the `413` answer once it passes ``GatewaySettings/maximumBodyBytes``.
    func readBody(_ request: Request) async -> Result<[UInt8], ResponseError> {
        let limit = settings.maximumBodyBytes
        let tooLarge = ResponseError(
            Self.problem(.contentTooLarge, "body-too-large", "The body may be at most \(limit) bytes; split the batch."))
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { return .failure(tooLarge) }
        var bytes: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard bytes.count + chunk.readableBytes <= limit else { return .failure(tooLarge) }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            return .failure(ResponseError(Self.problem(.badRequest, "unreadable-body", "The body could not be read.")))
        }
        return .success(bytes)
    }

    // MARK: Answers

    /// A response wrapped so it can travel as a `Result` failure.
    struct ResponseError: Error {
        let response: Response
        init(_ response: Response) { self.response = response }
    }

    static func unauthorized() -> ResponseError {
        var headers = HTTPFields()
        headers[.wwwAuthenticate] = "Bearer realm=\"frontdoor\""
        return ResponseError(
            problem(.unauthorized, "unauthorized", "Send Authorization: Bearer <key> with a current key of this gateway.", headers: headers))
    }

    static func problem(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(status, IntakeResponse(error: code, message: message), headers: headers)
    }

    static func json(_ status: HTTPResponse.Status, _ body: IntakeResponse, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data("{}".utf8)
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
