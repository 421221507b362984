import Foundation
import FrontDoorWorkers
import Testing
import Yams

/// No Docker engine or cluster runs here, so deploy/ is checked by parsing it: the files must
/// be valid, run the binary's real subcommands, name the real consumer groups and topics, and
/// use only environment variables the binary reads.
@Suite struct DeployTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("package root not found")
    }()

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func documents(_ path: String) throws -> [[String: Any]] {
        try Yams.load_all(yaml: text(path)).compactMap { $0 as? [String: Any] }
    }

    static let workerKinds = ["attendance", "exclusions", "referrals", "relay"]
    static let consumerKinds = [
        "attendance": "frontdoor.attendance.v1", "exclusions": "frontdoor.exclusions.v1",
        "referrals": "frontdoor.referrals.v1",
    ]

    /// Every `FRONTDOOR_*` name in a text is one the binary reads (or a librdkafka pass-through).
    static func unknownVariables(in text: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "FRONTDOOR_[A-Z0-9_]+")
        let names = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).map {
            String(text[Range($0.range, in: text)!])
        }
        return Set(names).filter { !WorkerSettings.environmentVariables.contains($0) && !$0.hasPrefix("FRONTDOOR_KAFKA_") }.sorted()
    }

    @Test("compose: Kafka (KRaft), PostgreSQL, migrate and topics jobs, and one service per worker kind")
    func composeFile() throws {
        let compose = try #require(try Yams.load(yaml: Self.text("deploy/docker-compose.yml")) as? [String: Any])
        let services = try #require(compose["services"] as? [String: Any])
        let kafka = try #require(services["kafka"] as? [String: Any])
        #expect((kafka["image"] as? String)?.hasPrefix("apache/kafka:") == true)
        let kafkaEnv = try #require(kafka["environment"] as? [String: Any])
        #expect((kafkaEnv["KAFKA_PROCESS_ROLES"] as? String)?.contains("controller") == true, "KRaft mode")
        #expect((services["postgres"] as? [String: Any])?["image"] as? String == "postgres:15")
        #expect(((services["migrate"] as? [String: Any])?["command"] as? [String]) == ["migrate"])
        #expect(((services["topics"] as? [String: Any])?["command"] as? [String]) == ["topics", "create"])
        for kind in Self.workerKinds {
            let name = kind == "relay" ? "relay" : "\(kind)-worker"
            let service = try #require(services[name] as? [String: Any], "service \(name)")
            #expect(service["command"] as? [String] == ["worker", kind])
            let env = try #require(service["environment"] as? [String: Any])
            #expect(env["FRONTDOOR_KAFKA_BROKERS"] as? String == "kafka:9092")
            #expect((env["FRONTDOOR_DATABASE_URL"] as? String)?.hasPrefix("postgres://") == true)
            // Required by every worker (issue 11): taken from the operator's environment, never written here.
            #expect((env["FRONTDOOR_PSEUDONYM_KEY"] as? String)?.hasPrefix("${FRONTDOOR_PSEUDONYM_KEY:?") == true)
            #expect(env["FRONTDOOR_LOG_FORMAT"] as? String == "json")
            let deps = try #require(service["depends_on"] as? [String: Any])
            #expect((deps["migrate"] as? [String: Any])?["condition"] as? String == "service_completed_successfully")
        }
        #expect(Self.unknownVariables(in: try Self.text("deploy/docker-compose.yml")).isEmpty)
    }

    @Test("kubernetes: a Deployment per worker running its subcommand, KEDA lag scaling on the real groups and topics")
    func kubernetesManifests() throws {
        var deployments: [String: [String: Any]] = [:]
        var scaled: [String: [String: Any]] = [:]
        let dir = Self.root.appendingPathComponent("deploy/k8s")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(!files.isEmpty)
        for file in files {
            #expect(Self.unknownVariables(in: try Self.text("deploy/k8s/\(file)")).isEmpty, "\(file)")
            for doc in try Self.documents("deploy/k8s/\(file)") {
                let kind = try #require(doc["kind"] as? String, "\(file): kind")
                let name = try #require((doc["metadata"] as? [String: Any])?["name"] as? String, "\(file): name")
                if kind == "Deployment" { deployments[name] = doc }
                if kind == "ScaledObject" { scaled[name] = doc }
            }
        }
        let defaults = WorkerSettings(environment: [:])
        for kind in Self.workerKinds {
            let d = try #require(deployments["worker-\(kind)"], "Deployment worker-\(kind)")
            let spec = try #require(((d["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
            let container = try #require((spec["containers"] as? [[String: Any]])?.first)
            #expect(container["args"] as? [String] == ["worker", kind])
            let grace = try #require(spec["terminationGracePeriodSeconds"] as? Int)
            #expect(grace >= 30, "graceful drain needs time to finish a batch")
        }
        for (kind, topic) in Self.consumerKinds {
            let s = try #require(scaled["worker-\(kind)"], "ScaledObject worker-\(kind)")
            let spec = try #require(s["spec"] as? [String: Any])
            #expect((spec["scaleTargetRef"] as? [String: Any])?["name"] as? String == "worker-\(kind)")
            let maxReplicas = try #require(spec["maxReplicaCount"] as? Int)
            #expect(maxReplicas <= 6, "more replicas than `topics create`'s default 6 partitions would idle")
            let trigger = try #require((spec["triggers"] as? [[String: Any]])?.first)
            #expect(trigger["type"] as? String == "kafka")
            let meta = try #require(trigger["metadata"] as? [String: Any])
            #expect(meta["consumerGroup"] as? String == defaults.group(kind))
            #expect(meta["topic"] as? String == topic)
        }
    }

    @Test("the workers' maximum graceful-shutdown duration is below every manifest's grace period")
    func gracefulShutdownFitsTheGracePeriods() throws {
        let limit = WorkerSettings.maximumGracefulShutdownDuration
        var periods: [(String, Duration)] = []
        let compose = try #require(try Yams.load(yaml: Self.text("deploy/docker-compose.yml")) as? [String: Any])
        for (name, service) in try #require(compose["services"] as? [String: Any]) {
            guard let service = service as? [String: Any], (service["command"] as? [String])?.first == "worker" else { continue }
            // Compose's default is 10 s; ours are written as "<n>s".
            let text = try #require(service["stop_grace_period"] as? String, "\(name): stop_grace_period")
            let seconds = try #require(Int(text.dropLast()), "\(name): \(text)")
            #expect(text.hasSuffix("s") && !text.hasSuffix("ms"))
            periods.append(("compose \(name)", .seconds(seconds)))
        }
        let dir = Self.root.appendingPathComponent("deploy/k8s")
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).filter({ $0.hasSuffix(".yaml") }) {
            for doc in try Self.documents("deploy/k8s/\(file)") where doc["kind"] as? String == "Deployment" {
                let spec = ((doc["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any]
                let grace = try #require(spec?["terminationGracePeriodSeconds"] as? Int, "\(file)")
                periods.append((file, .seconds(grace)))
            }
        }
        #expect(periods.count >= 8, "four compose services and four Deployments")
        for (what, period) in periods {
            // Leave the process a few seconds to close the producer and exit after the services stop.
            #expect(limit + .seconds(5) <= period, "\(what): grace \(period), graceful shutdown up to \(limit)")
        }
    }

    @Test("Dockerfile: builds librdkafka with the project's script and runs the frontdoor binary")
    func dockerfile() throws {
        let text = try Self.text("deploy/Dockerfile")
        let froms = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }
        #expect(froms.count == 2, "a build stage and a runtime stage")
        #expect(text.contains("scripts/build-librdkafka.sh"))
        #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("scripts/build-librdkafka.sh").path))
        #expect(text.contains(#"ENTRYPOINT ["/usr/local/bin/frontdoor"]"#))
        #expect(text.contains("COPY Config"))
        #expect(Self.unknownVariables(in: text).isEmpty)
    }
}
