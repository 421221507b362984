import FrontDoorGateway
import Testing

/// The CloudEvents HTTP binding's header rules (§3.1.3.2), without a server: what a binary-mode
/// request's `ce-*` headers become before the workers' decoder sees them.
@Suite("CloudEvents HTTP binding")
struct CloudEventsHTTPBindingTests {
    static func header(_ candidate: CloudEventsHTTP.Candidate, _ key: String) -> String? {
        candidate.headers.first { $0.key == key }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("ce- header values are percent-decoded as UTF-8; content-type stays; other headers go")
    func percentDecoding() {
        let candidate = CloudEventsHTTP.binaryCandidate(
            headers: [
                (name: "ce-id", value: "mark%201%20%E2%80%93%20AM"), (name: "CE-Source", value: "urn:laestab:8862001"),
                (name: "ce-subject", value: "100%"), (name: "content-type", value: "application/json"),
                (name: "authorization", value: "Bearer fdk_x"),
            ], body: Array("{}".utf8))
        #expect(Self.header(candidate, "ce_id") == "mark 1 – AM")
        #expect(Self.header(candidate, "ce_source") == "urn:laestab:8862001")
        // A `%` that starts no valid escape is left as sent, for the decoder to judge.
        #expect(Self.header(candidate, "ce_subject") == "100%")
        #expect(Self.header(candidate, "content-type") == "application/json")
        #expect(candidate.headers.count == 4, "the credential is not one of the event's headers")
    }
}
