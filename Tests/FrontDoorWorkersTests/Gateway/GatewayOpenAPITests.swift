import Foundation
import FrontDoorDomain
import FrontDoorGateway
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

/// docs/gateway.openapi.yaml is the gateway's contract with MIS vendors and agencies: these tests
/// keep its routes, status codes, content types and response schema equal to the server's, and
/// run schemathesis against the live gateway from it.
@Suite("Gateway OpenAPI document", .serialized)
struct GatewayOpenAPITests {
    static let documentURL = TestEnvironment.packageRoot.appendingPathComponent("docs/gateway.openapi.yaml")

    static func document() throws -> [String: Any] {
        let text = try String(contentsOf: documentURL, encoding: .utf8)
        guard let doc = try Yams.load(yaml: text) as? [String: Any] else { throw TestSetupError("not a YAML mapping") }
        return doc
    }

    static func paths(_ doc: [String: Any]) -> [String: [String: Any]] {
        (doc["paths"] as? [String: Any] ?? [:]).compactMapValues { $0 as? [String: Any] }
    }

    static func schema(_ doc: [String: Any], _ name: String) -> [String: Any] {
        ((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])?[name] as? [String: Any] ?? [:]
    }

    @Test("an OpenAPI 3.1 document whose paths and methods are exactly the router's routes")
    func routes() throws {
        let doc = try Self.document()
        #expect(doc["openapi"] as? String == "3.1.0")
        var documented: Set<String> = []
        for (path, item) in Self.paths(doc) {
            for method in item.keys where ["get", "put", "post", "delete", "patch", "head", "options"].contains(method) {
                documented.insert("\(method.uppercased()) \(path)")
            }
        }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: [TestEnvironment.brokers]))
        defer { Task { await producer.close(timeout: .milliseconds(10)) } }
        let gateway = Gateway(
            settings: GatewaySettings(environment: [:]), topics: TopicNames(), config: TestEnvironment.config,
            database: try FrontDoorDatabase(url: TestEnvironment.databaseURL), producer: producer, logger: TestEnvironment.logger)
        let served = Set(gateway.router().routes.map { "\($0.method.rawValue) \($0.path)" })
        #expect(served == documented)
    }

    /// Checks `value` against the document's `schema` (the subset of JSON Schema the document uses:
    /// object, array, string, integer, enum, required, additionalProperties false, $ref).
    static func violations(_ value: Any, _ schema: [String: Any], doc: [String: Any], at path: String = "$") -> [String] {
        if let ref = schema["$ref"] as? String, let name = ref.split(separator: "/").last {
            return violations(value, Self.schema(doc, String(name)), doc: doc, at: path)
        }
        var out: [String] = []
        if let values = schema["enum"] as? [Any], !values.contains(where: { "\($0)" == "\(value)" }) {
            out.append("\(path): \(value) not in the enum")
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return out + ["\(path): not an object"] }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil { out.append("\(path).\(name): missing") }
            for (name, v) in object {
                if let p = properties[name] as? [String: Any] {
                    out += violations(v, p, doc: doc, at: "\(path).\(name)")
                } else if schema["additionalProperties"] as? Bool == false {
                    out.append("\(path).\(name): not in the schema")
                }
            }
        case "array":
            guard let array = value as? [Any] else { return out + ["\(path): not an array"] }
            let items = schema["items"] as? [String: Any] ?? [:]
            for (i, v) in array.enumerated() { out += violations(v, items, doc: doc, at: "\(path)[\(i)]") }
        case "string":
            if !(value is String) { out.append("\(path): not a string") }
        case "integer":
            if !(value is Int) { out.append("\(path): not an integer") }
        default:
            break
        }
        return out
    }

    @Test("every answer the server gives is a documented status with the documented content type and body schema")
    func responses() async throws {
        var settings = GatewaySettings(environment: [:])
        settings.maximumEvents = 2
        settings.maximumBodyBytes = 100_000
        try await GatewayHarness.with("openapi", settings: settings) { h in
            let doc = try Self.document()
            let operations = Self.paths(doc)
            let day = GatewayTests.day
            let mark = Events.mark(
                id: "gw-doc-1", upn: Events.upn(h.school, serial: 1), laestab: h.school.laestab.value, date: day, session: "AM",
                code: "/")
            let other = GatewayTests.mark(h, id: "gw-doc-2", school: GatewayTests.otherSchool)
            let cases: [(String, [UInt8], String?, ClientKey?, Int)] = [
                ("/events", mark, CloudEventsHTTP.structuredMediaType, h.schoolKey, 202),
                ("/events", GatewayHarness.batch([mark, Array("[]".utf8)]), CloudEventsHTTP.batchMediaType, h.schoolKey, 400),
                ("/events", mark, CloudEventsHTTP.structuredMediaType, nil, 401),
                ("/events", other, CloudEventsHTTP.structuredMediaType, h.schoolKey, 403),
                ("/events", GatewayHarness.batch([mark, mark, mark]), CloudEventsHTTP.batchMediaType, h.schoolKey, 413),
                ("/events", mark, "text/csv", h.schoolKey, 415),
                ("/refer", Array("key=nonsense".utf8), "application/x-www-form-urlencoded", nil, 400),
            ]
            for (path, body, contentType, key, expected) in cases {
                let r = try await h.post(body, contentType: contentType, key: key, path: path)
                #expect(r.status.code == expected, "\(path) \(expected): \(r.text.prefix(300))")
                let responses = (operations[path]?["post"] as? [String: Any])?["responses"] as? [String: Any] ?? [:]
                guard let documented = responses[String(r.status.code)] as? [String: Any] else {
                    Issue.record("\(path) answered \(r.status.code), which the document does not list")
                    continue
                }
                let content = documented["content"] as? [String: Any] ?? [:]
                let mediaType = CloudEventsHTTP.mediaType(r.headers[.contentType] ?? "")
                #expect(content.keys.contains(mediaType), "\(path) \(r.status.code) is \(mediaType), documented \(content.keys)")
                if mediaType == "application/json", let schema = (content[mediaType] as? [String: Any])?["schema"] as? [String: Any] {
                    let json = try JSONSerialization.jsonObject(with: Data(r.body.readableBytesView))
                    let problems = Self.violations(json, schema, doc: doc)
                    #expect(problems.isEmpty, "\(path) \(r.status.code): \(problems)")
                }
            }
            let form = try await h.client.execute(uri: "/refer", method: .get)
            #expect(form.status == .ok && form.headers[.contentType]?.hasPrefix("text/html") == true)
        }
    }
}
