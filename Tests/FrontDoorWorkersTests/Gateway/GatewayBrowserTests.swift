import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorGateway
import FrontDoorMessaging
import FrontDoorWorkers
import HummingbirdTesting
import Testing

/// The parts of the gateway a program outside Swift drives: the referral form in headless
/// chromium (a person's view), and schemathesis fuzzing `POST /events` from the OpenAPI document.
@Suite("Gateway in a browser and under schemathesis", .serialized)
struct GatewayBrowserTests {
    static var python: String {
        TestEnvironment.environment["FRONTDOOR_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? TestEnvironment.packageRoot.appendingPathComponent(".local/venv/bin/python").path
    }

    /// Runs a program to its end (at most `timeout`) and returns its exit status and output.
    /// It runs in a scratch directory, where schemathesis and hypothesis leave their caches.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval = 240) throws -> (status: Int32, out: String, err: String) {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("frontdoor-gateway-\(TestEnvironment.uniqueSuffix())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = scratch
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = ReportPipeReader(out.fileHandleForReading)
        let errData = ReportPipeReader(err.fileHandleForReading)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning {
            process.terminate()
            throw TestSetupError("\(executable) did not finish within \(Int(timeout)) s")
        }
        process.waitUntilExit()
        return (process.terminationStatus, outData.text(), errData.text())
    }

    struct FormRun: Decodable {
        struct Form: Decodable {
            var fields: Int
            var unlabelled: [String]
            var radiosOutsideFieldset: [String]
            var scripts: Int
            var externalResources: [String]
            var lang: String
        }
        struct Summary: Decodable {
            struct Link: Decodable {
                var href: String
                var text: String
                var targetExists: Bool
            }
            var role: String?
            var links: [Link]
            var title: String
        }
        struct After: Decodable {
            var title: String
            var reference: String?
        }
        var form: Form?
        var errors: Summary?
        var after: After?
        var failure: String?
    }

    @Test("a safeguarding lead fills the form in chromium, submits, sees a reference number, and the referral is on the topic")
    func referralForm() async throws {
        guard let chromium = ReportBrowser.chromium else {
            Issue.record("chromium is not installed (scripts/setup.sh installs it)")
            return
        }
        try await GatewayHarness.with("form") { h in
            guard let port = h.client.port else { throw TestSetupError("not a live server") }
            let script = TestEnvironment.packageRoot.appendingPathComponent("scripts/referral-form-check.py").path
            let result = try Self.run(
                Self.python, [script, "--url", "http://127.0.0.1:\(port)/refer", "--key", h.schoolKey.text, "--chromium", chromium])
            let run = try JSONDecoder().decode(FormRun.self, from: Data(result.out.utf8))
            #expect(result.status == 0 && run.failure == nil, "\(run.failure ?? "") \(result.err.suffix(1000))")
            let form = try #require(run.form)
            #expect(form.fields >= 10 && form.unlabelled.isEmpty && form.radiosOutsideFieldset.isEmpty, "\(form)")
            #expect(form.scripts == 0 && form.externalResources.isEmpty && form.lang == "en-GB")
            let summary = try #require(run.errors, "an empty form shows an error summary")
            #expect(summary.role == "alert" && summary.title.hasPrefix("Error:"))
            #expect(Set(summary.links.map(\.href)).isSuperset(of: ["#key", "#reason-cme", "#givenName", "#familyName", "#dateOfBirth"]))
            let allLinked = summary.links.allSatisfy { $0.targetExists }
            #expect(allLinked, "every error links to its field")
            let reference = try #require(run.after?.reference, "the page after submitting shows a reference: \(String(describing: run.after))")
            #expect(reference.hasPrefix("DFD-") && reference.count == 13)

            let on = try await h.published(on: h.pipeline.topics.referrals)
            #expect(on.count == 1)
            let event = try #require(on.first)
            #expect(event.key == Array(reference.utf8))
            guard
                case .referralReceived(let envelope, let referral) = try EventDecoder.decode(
                    structured: event.value, calendar: TestEnvironment.config.calendar
                ).get()
            else {
                Issue.record("not a referral")
                return
            }
            #expect(envelope.source == "urn:laestab:\(h.school.laestab.value)")
            #expect(referral.referralId == reference && referral.reason == .cme && referral.safeguardingConcern)
            #expect(referral.laestab == h.school.laestab && referral.referrer.kind == .school)
            #expect(referral.child.givenName == "Test" && referral.child.dateOfBirth == Events.date("2014-03-27"))
            #expect(referral.lastSeenDate == Events.date("2026-09-11"))
        }
    }

    @Test("schemathesis from docs/gateway.openapi.yaml: no 5xx and no answer outside the document")
    func schemathesis() async throws {
        try await GatewayHarness.with("schemathesis") { h in
            guard let port = h.client.port else { throw TestSetupError("not a live server") }
            let document = GatewayOpenAPITests.documentURL.path
            let result = try Self.run(
                Self.python,
                [
                    "-m", "schemathesis.cli", "run", document, "--url", "http://127.0.0.1:\(port)",
                    "--header", "Authorization: Bearer \(h.schoolKey.text)",
                    "--checks",
                    "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
                    "--max-examples", "60", "--seed", "12", "--workers", "1", "--no-color",
                ], timeout: 420)
            let log = ReportTestEnvironment.artifacts.appendingPathComponent("gateway-schemathesis.txt")
            try Data((result.out + "\n" + result.err).utf8).write(to: log)
            #expect(result.status == 0, "schemathesis failed (\(log.path)):\n\(result.out.suffix(6000))\n\(result.err.suffix(2000))")
            // It read the document and exercised every operation (a run that tested nothing also exits 0).
            #expect(result.out.contains("Tested: 3"), "schemathesis did not test all three operations; see \(log.path)")
            #expect(result.out.contains(" generated, ") && !result.out.contains(" failed"), "see \(log.path)")
        }
    }
}
