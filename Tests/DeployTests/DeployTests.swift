import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorGateway
import FrontDoorWorkers
import Testing
import Yams

/// No Docker engine or cluster runs here, so deploy/ is checked by parsing it against the code:
/// every command a file runs is one of the binary's subcommands, every `FRONTDOOR_*` variable is
/// one it reads, probes and scrapes use the workers' HTTP port, KEDA watches every input topic of
/// each consumer worker, each process has its own Kafka principal with exactly the ACLs its code
/// needs, each Early Help Unit of `Config/districts.csv` reads its own topic and nothing else,
/// every container runs non-root on a read-only filesystem, images are pinned, and every metric
/// the alert rules name exists in `Sources/`. The gateway likewise: its port and settings from
/// `GatewaySettings`, probes on a path its router serves, and a principal that writes exactly the
/// topics its `EventRouting` publishes to and reads none.
@Suite struct DeployTests {
    // MARK: - The code's side

    /// The package root (this file is `Tests/DeployTests/DeployTests.swift`).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The workers' HTTP listener port when `FRONTDOOR_HTTP_PORT` is unset (WorkerSettings).
    static let defaultHTTPPort = WorkerSettings(environment: [:]).httpPort

    /// The gateway's port when `FRONTDOOR_GATEWAY_PORT` is unset (GatewaySettings).
    static let defaultGatewayPort = GatewaySettings(environment: [:]).port

    static func text(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    static func files(in directory: String, suffix: String) throws -> [String] {
        let url = root.appendingPathComponent(directory)
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(suffix) }.sorted()
            .map { "\(directory)/\($0)" }
    }

    /// Every Swift source under `Sources/`, concatenated (for names the code must spell).
    static func sourceText() throws -> String {
        let base = root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else { return "" }
        var text = ""
        for case let url as URL in walker where url.pathExtension == "swift" {
            text += try String(contentsOf: url, encoding: .utf8) + "\n"
        }
        return text
    }

    /// What the code says about topics and workers.
    struct Code {
        let settings = WorkerSettings(environment: [:])
        let config: LoadedConfig
        /// Consumer worker kind → the topics its handler consumes.
        let inputs: [String: [String]]
        let unitIds: [String]
        /// Every topic `topics create` makes.
        let allTopics: [String]
        /// `frontdoor worker <kind>`'s kinds.
        let workerKinds: [String]
        /// Each input event type (an `InputEvent` case) → the topic the gateway publishes it to:
        /// the published sample of each type (contract/samples) decoded and routed by the gateway's
        /// own `EventRouting`.
        let gatewayRoutes: [String: String]
        /// The paths the gateway answers `GET` on (its router, Sources/FrontDoorGateway).
        let gatewayGetPaths: Set<String>

        init() throws {
            config = try ConfigLoader(directory: DeployTests.root.appendingPathComponent("Config")).load()
            let handlers: [any BatchHandler] = [
                AttendanceHandler(config: config, settings: settings), ExclusionHandler(config: config, settings: settings),
                ReferralHandler(config: config, settings: settings),
            ]
            inputs = Dictionary(uniqueKeysWithValues: handlers.map { ($0.name, $0.topics.sorted()) })
            unitIds = config.units.unitIds
            allTopics = TopicPlan(topics: settings.topics, unitIds: unitIds, inputPartitions: 6, outputPartitions: 3).all.map(\.0)
            workerKinds = try CommandTree.workerKinds()
            var routes: [String: String] = [:]
            let routing = EventRouting(topics: settings.topics)
            for file in try DeployTests.files(in: "contract/samples", suffix: ".json") {
                let bytes = Array(try DeployTests.text(file).utf8)
                // Output events (notifications, reviews) are not input events: the decoder refuses them.
                guard case .success(let event) = EventDecoder.decode(structured: bytes, calendar: config.calendar) else { continue }
                routes[Self.caseName(event)] = routing.route(event).topic
            }
            gatewayRoutes = routes
            var paths = Set<String>()
            for file in try DeployTests.files(in: "Sources/FrontDoorGateway", suffix: ".swift") {
                let text = try DeployTests.text(file)
                let regex = try NSRegularExpression(pattern: #"router\.get\("([^"]+)""#)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let r = Range(match.range(at: 1), in: text) { paths.insert(String(text[r])) }
                }
            }
            gatewayGetPaths = paths
        }

        /// Every `InputEvent` case. The switch below is exhaustive, so a new case does not compile
        /// until it is named here (and then needs a sample in contract/samples).
        static let inputCases: Set<String> = [
            "attendanceMark", "exclusionIssued", "exclusionRescinded", "referralReceived", "referralResolved",
            "enforcementDecision", "rollChange",
        ]

        static func caseName(_ event: InputEvent) -> String {
            switch event {
            case .attendanceMark: "attendanceMark"
            case .exclusionIssued: "exclusionIssued"
            case .exclusionRescinded: "exclusionRescinded"
            case .referralReceived: "referralReceived"
            case .referralResolved: "referralResolved"
            case .enforcementDecision: "enforcementDecision"
            case .rollChange: "rollChange"
            }
        }
    }

    /// The subcommands of `frontdoor`, read from `Sources/frontdoor/*.swift` (ArgumentParser's
    /// `CommandConfiguration`: `commandName`, else the type name in kebab case; `subcommands`).
    struct CommandTree {
        var children: [String: CommandTree] = [:]
        /// The allowed values of the first positional argument (`worker <kind>`), if checked.
        var positional: [String]?

        static func sources() throws -> [(path: String, text: String)] {
            try DeployTests.files(in: "Sources/frontdoor", suffix: ".swift").map { ($0, try DeployTests.text($0)) }
        }

        static func workerKinds() throws -> [String] {
            let text = try DeployTests.text("Sources/frontdoor/WorkerCommand.swift")
            guard let r = text.range(of: #"enum Kind: String[^{]*\{\s*case ([a-z, ]+)"#, options: .regularExpression) else { return [] }
            let cases = text[r].split(separator: "case").last ?? ""
            return cases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }

        /// `frontdoor`'s tree, from `FrontDoorCommand`.
        static func load() throws -> CommandTree {
            let files = try sources()
            return build(type: "FrontDoorCommand", near: nil, files: files, depth: 0) ?? CommandTree()
        }

        private static func build(
            type: String, near: (file: Int, offset: String.Index)?, files: [(path: String, text: String)], depth: Int
        )
            -> CommandTree?
        {
            guard depth < 5, let found = declaration(of: type, near: near, files: files) else { return nil }
            let (file, start) = found
            let configuration = configurationText(in: files[file].text, from: start)
            var tree = CommandTree()
            for sub in subcommandTypes(in: configuration) {
                guard let subFound = declaration(of: sub, near: (file, start), files: files) else { continue }
                let (subFile, subStart) = subFound
                let name = commandName(in: configurationText(in: files[subFile].text, from: subStart)) ?? kebab(sub)
                tree.children[name] = build(type: sub, near: (file, start), files: files, depth: depth + 1) ?? CommandTree()
            }
            if type == "Worker" { tree.positional = (try? workerKinds()) ?? [] }
            return tree
        }

        /// The declaration of `struct <type>: …ParsableCommand`: the first after `near` in its file
        /// (a nested command), else the first anywhere.
        private static func declaration(
            of type: String, near: (file: Int, offset: String.Index)?, files: [(path: String, text: String)]
        )
            -> (Int, String.Index)?
        {
            let pattern = #"struct \#(type): [A-Za-z]*ParsableCommand"#
            if let near,
                let r = files[near.file].text.range(of: pattern, options: .regularExpression, range: near.offset..<files[near.file].text.endIndex)
            {
                return (near.file, r.lowerBound)
            }
            for (i, f) in files.enumerated() {
                if let r = f.text.range(of: pattern, options: .regularExpression) { return (i, r.lowerBound) }
            }
            return nil
        }

        /// `CommandConfiguration( … )` after a declaration, up to its closing parenthesis.
        private static func configurationText(in text: String, from start: String.Index) -> String {
            guard let open = text.range(of: "CommandConfiguration(", range: start..<text.endIndex) else { return "" }
            var depth = 1
            var i = open.upperBound
            while i < text.endIndex, depth > 0 {
                if text[i] == "(" { depth += 1 }
                if text[i] == ")" { depth -= 1 }
                i = text.index(after: i)
            }
            return String(text[open.lowerBound..<i])
        }

        private static func subcommandTypes(in configuration: String) -> [String] {
            guard let r = configuration.range(of: #"subcommands: \[[^\]]*\]"#, options: .regularExpression) else { return [] }
            return configuration[r].dropFirst("subcommands: [".count).dropLast().split(separator: ",")
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: ".self", with: "") }.filter { !$0.isEmpty }
        }

        private static func commandName(in configuration: String) -> String? {
            guard let r = configuration.range(of: #"commandName: "[^"]+""#, options: .regularExpression) else { return nil }
            return String(configuration[r].dropFirst("commandName: \"".count).dropLast())
        }

        /// ArgumentParser's default name: `AuditTrail` → `audit-trail`, `DLQ` → `dlq`.
        static func kebab(_ type: String) -> String {
            var out = ""
            let chars = Array(type)
            for (i, c) in chars.enumerated() {
                if c.isUppercase, i > 0, chars[i - 1].isLowercase || (i + 1 < chars.count && chars[i + 1].isLowercase && chars[i - 1].isUppercase) {
                    out += "-"
                }
                out += c.lowercased()
            }
            return out
        }

        /// Why `frontdoor <arguments>` is not a command, or nil when it is.
        func problem(_ arguments: [String]) -> String? {
            var node = self
            var rest = arguments[...]
            while !node.children.isEmpty {
                guard let word = rest.first else { return "\(arguments): a subcommand is missing" }
                guard let child = node.children[word] else { return "\(arguments): no subcommand \(word) (known: \(node.children.keys.sorted()))" }
                node = child
                rest = rest.dropFirst()
            }
            if let allowed = node.positional, !(rest.first.map(allowed.contains) ?? false) {
                return "\(arguments): \(rest.first ?? "nothing") is not one of \(allowed)"
            }
            return nil
        }
    }

    // MARK: - The files' side

    typealias Node = [String: Any]

    static func yaml(_ path: String) throws -> Node {
        try #require(try Yams.load(yaml: text(path)) as? Node, "\(path) is a YAML mapping")
    }

    /// Every Kubernetes document, with its file.
    static func kubernetes() throws -> [(file: String, doc: Node)] {
        var docs: [(String, Node)] = []
        for file in try files(in: "deploy/k8s", suffix: ".yaml") where !file.hasSuffix("kustomization.yaml") {
            for case let doc as Node in try Yams.load_all(yaml: text(file)) { docs.append((file, doc)) }
        }
        return docs
    }

    static func kind(_ doc: Node) -> String { doc["kind"] as? String ?? "" }
    static func name(_ doc: Node) -> String { (doc["metadata"] as? Node)?["name"] as? String ?? "" }
    static func map(_ any: Any?) -> Node { any as? Node ?? [:] }
    static func list(_ any: Any?) -> [Node] { (any as? [Any])?.compactMap { $0 as? Node } ?? [] }
    static func strings(_ any: Any?) -> [String] { (any as? [Any])?.compactMap { $0 as? String } ?? [] }

    /// The pod spec of a Deployment, Job or CronJob.
    static func podSpec(_ doc: Node) -> Node? {
        switch kind(doc) {
        case "Deployment", "Job": return map(map(map(doc["spec"])["template"])["spec"])
        case "CronJob": return map(map(map(map(map(doc["spec"])["jobTemplate"])["spec"])["template"])["spec"])
        default: return nil
        }
    }

    static func containers(_ pod: Node) -> [Node] { list(pod["initContainers"]) + list(pod["containers"]) }
    static func firstContainer(_ doc: Node) -> Node? { list(podSpec(doc)?["containers"]).first }

    /// The Compose services (merge keys resolved by Yams).
    static func composeServices() throws -> [String: Node] {
        let compose = try yaml("deploy/compose.yaml")
        return try #require(compose["services"] as? [String: Any]).compactMapValues { $0 as? Node }
    }

    /// `frontdoor …` argument lists a Compose service runs: its `command` after the image's
    /// `frontdoor` entrypoint, or each `frontdoor …` of an `sh -c` script.
    static func frontdoorInvocations(entrypoint: [String], command: Any?) -> [[String]] {
        if entrypoint.isEmpty { return [strings(command)] }
        let script = strings(command).joined(separator: " ")
        return script.components(separatedBy: "&&").map { $0.split(separator: " ").map(String.init) }.compactMap {
            $0.first == "frontdoor" ? Array($0.dropFirst()) : ["not-frontdoor: \($0.joined(separator: " "))"]
        }
    }

    /// An image reference pinned to a version: a tag other than `latest`, or a digest.
    static func pinned(_ image: String) -> Bool {
        if image.contains("@sha256:") { return true }
        guard let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") else { return false }
        let tag = image[image.index(after: colon)...]
        return !tag.isEmpty && tag != "latest" && tag.contains(where: \.isNumber) && !tag.contains("$")
    }

    // MARK: - Commands, variables, ports

    @Test("every command a Compose service, Job, CronJob or Deployment runs is a frontdoor subcommand")
    func commandsExist() throws {
        let tree = try CommandTree.load()
        #expect(tree.children.keys.contains("worker") && tree.children["topics"]?.children.keys.contains("create") == true)
        #expect(tree.problem(["worker", "attendance"]) == nil && tree.problem(["worker", "nobody"]) != nil, "the checker checks")
        var runs: [(String, [String])] = []
        for (name, service) in try Self.composeServices() where (service["image"] as? String)?.hasPrefix("frontdoor:") == true {
            for arguments in Self.frontdoorInvocations(entrypoint: Self.strings(service["entrypoint"]), command: service["command"]) {
                runs.append(("compose \(name)", arguments))
            }
        }
        for (file, doc) in try Self.kubernetes() {
            guard let pod = Self.podSpec(doc) else { continue }
            for container in Self.containers(pod) {
                #expect(container["command"] == nil, "\(file): \(container["name"] ?? ""): the image's entrypoint (frontdoor) runs, with args")
                runs.append(("\(file) \(container["name"] ?? "")", Self.strings(container["args"])))
            }
        }
        // init (2), four compose workers and the gateway, four Deployments and the gateway's, the Job's two containers, the CronJob.
        #expect(runs.count >= 14)
        for (what, arguments) in runs {
            #expect(tree.problem(arguments) == nil, "\(what): \(tree.problem(arguments) ?? "")")
        }
    }

    /// Every `FRONTDOOR_*` name in a text that the binary does not read.
    static func unknownVariables(in text: String) throws -> [String] {
        var allowed = WorkerSettings.environmentVariables
        if try !sourceText().contains("FRONTDOOR_HTTP_PORT") {
            // Reserved for the metrics branch (not merged yet); after the merge they must be in
            // WorkerSettings.environmentVariables like every other variable.
            allowed.formUnion(["FRONTDOOR_HTTP_HOST", "FRONTDOOR_HTTP_PORT"])
        }
        let regex = try NSRegularExpression(pattern: "FRONTDOOR_[A-Z0-9_]+")
        let names = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { String(text[$0]) }
        }
        // FRONTDOOR_KAFKA_<PROPERTY> passes any librdkafka property through; FRONTDOOR_KAFKA_PORT
        // is the local stack's, not a property.
        return Set(names).filter { !allowed.contains($0) && !($0.hasPrefix("FRONTDOOR_KAFKA_") && $0 != "FRONTDOOR_KAFKA_PORT") }.sorted()
    }

    @Test("every FRONTDOOR_* variable a deploy file names is one the binary reads")
    func variablesExist() throws {
        let paths = try ["deploy/Dockerfile", "deploy/compose.yaml"] + Self.files(in: "deploy/k8s", suffix: ".yaml")
        for path in paths {
            let unknown = try Self.unknownVariables(in: Self.text(path))
            #expect(unknown.isEmpty, "\(path): \(unknown)")
        }
        // The checker sees a wrong name.
        #expect(try Self.unknownVariables(in: "FRONTDOOR_BATCH_SIZ=1 FRONTDOOR_KAFKA_SASL_USERNAME=x") == ["FRONTDOOR_BATCH_SIZ"])
        // The gateway's variables are checked with the workers' list: every one it reads is on it.
        let missing = GatewaySettings.environmentVariables.subtracting(WorkerSettings.environmentVariables)
        #expect(missing.isEmpty, "GatewaySettings reads \(missing.sorted()), which WorkerSettings.environmentVariables does not list")
    }

    @Test("probes, health checks and scrapes use the workers' HTTP port and health paths")
    func portsAndProbes() throws {
        let portInSources = try Self.sourceText().contains("\(Self.defaultHTTPPort)")
        #expect(portInSources, "\(Self.defaultHTTPPort) in Sources/")
        let code = try Code()
        var deployments = 0
        // The workers' Deployments (the gateway's: gatewayManifests).
        for (file, doc) in try Self.kubernetes() where Self.kind(doc) == "Deployment" && Self.name(doc).hasPrefix("worker-") {
            deployments += 1
            let container = try #require(Self.firstContainer(doc), "\(file)")
            let ports = Self.list(container["ports"])
            #expect(ports.contains { $0["name"] as? String == "metrics" && $0["containerPort"] as? Int == Self.defaultHTTPPort }, "\(file)")
            for (probe, path) in [("startupProbe", "/health/live"), ("livenessProbe", "/health/live"), ("readinessProbe", "/health/ready")] {
                let get = Self.map(Self.map(container[probe])["httpGet"])
                #expect(get["path"] as? String == path, "\(file): \(probe)")
                #expect(get["port"] as? Int == Self.defaultHTTPPort, "\(file): \(probe) port")
            }
        }
        #expect(deployments == code.workerKinds.count)
        let services = try Self.composeServices()
        for kind in code.workerKinds {
            let service = try #require(services[kind == "relay" ? "relay" : "\(kind)-worker"], "compose service for \(kind)")
            let check = Self.strings(Self.map(service["healthcheck"])["test"])
            #expect(check.last == "http://127.0.0.1:\(Self.defaultHTTPPort)/health/ready", "compose \(kind)")
            let env = Self.map(service["environment"])
            #expect(env["FRONTDOOR_HTTP_HOST"] as? String == "0.0.0.0", "compose \(kind): reachable from Prometheus's container")
        }
        // Compose's Prometheus scrapes each worker service on the port, labelled with its kind.
        let prometheus = try Self.yaml("deploy/prometheus/prometheus.yml")
        let job = try #require(Self.list(prometheus["scrape_configs"]).first { $0["job_name"] as? String == "frontdoor" })
        var scraped: [String: String] = [:]
        for target in Self.list(job["static_configs"]) {
            for address in Self.strings(target["targets"]) { scraped[address] = Self.map(target["labels"])["worker"] as? String }
        }
        #expect(Set(scraped.values) == Set(code.workerKinds))
        for (address, worker) in scraped {
            let host = String(address.split(separator: ":").first ?? "")
            #expect(services[host] != nil && address.hasSuffix(":\(Self.defaultHTTPPort)"), "\(address)")
            #expect(Self.strings(services[host]?["command"]) == ["worker", worker], "\(address) is the \(worker) worker")
        }
        // Kubernetes' scrape keeps the pods' port named `metrics` and takes `worker` from the pod label.
        let k8s = try Self.text("deploy/prometheus/kubernetes.yml")
        #expect(k8s.contains("regex: metrics") && k8s.contains("__meta_kubernetes_pod_label_worker"))
        let prometheusService = try #require(services["prometheus"])
        #expect(Self.strings(prometheusService["volumes"]).contains("./prometheus:/etc/prometheus:ro"))
    }

    // MARK: - Compose

    @Test("compose: Kafka in KRaft mode, PostgreSQL, a migrate-and-topics job, each worker, Prometheus")
    func composeFile() throws {
        let code = try Code()
        let services = try Self.composeServices()
        let kafka = try #require(services["kafka"])
        #expect((kafka["image"] as? String)?.hasPrefix("apache/kafka:") == true)
        let kafkaEnv = Self.map(kafka["environment"])
        #expect((kafkaEnv["KAFKA_PROCESS_ROLES"] as? String)?.contains("controller") == true, "KRaft mode")
        let composeText = try Self.text("deploy/compose.yaml")
        #expect(!composeText.lowercased().contains("zookeeper"))
        #expect((services["postgres"]?["image"] as? String)?.hasPrefix("postgres:15") == true)
        let initService = try #require(services["init"])
        #expect(
            Self.frontdoorInvocations(entrypoint: Self.strings(initService["entrypoint"]), command: initService["command"]) == [
                ["migrate"], ["topics", "create"],
            ])
        let initDeps = Self.map(initService["depends_on"])
        #expect(Self.map(initDeps["postgres"])["condition"] as? String == "service_healthy")
        #expect(Self.map(initDeps["kafka"])["condition"] as? String == "service_healthy")
        for kind in code.workerKinds {
            let name = kind == "relay" ? "relay" : "\(kind)-worker"
            let service = try #require(services[name], "service \(name)")
            #expect(Self.strings(service["command"]) == ["worker", kind])
            let env = Self.map(service["environment"])
            #expect(env["FRONTDOOR_KAFKA_BROKERS"] as? String == "kafka:9092")
            #expect((env["FRONTDOOR_DATABASE_URL"] as? String)?.hasPrefix("postgres://") == true)
            // Required by every worker: taken from the operator's environment, never written here.
            #expect((env["FRONTDOOR_PSEUDONYM_KEY"] as? String)?.hasPrefix("${FRONTDOOR_PSEUDONYM_KEY:?") == true)
            #expect(env["FRONTDOOR_LOG_FORMAT"] as? String == "json")
            let deps = Self.map(service["depends_on"])
            #expect(Self.map(deps["init"])["condition"] as? String == "service_completed_successfully")
        }
        for (name, service) in services {
            let image = try #require(service["image"] as? String, "\(name): image")
            if image.hasPrefix("frontdoor:") {
                #expect(image == "frontdoor:${IMAGE_TAG:-0.1.0}", "\(name): the release tag by default, never latest")
                #expect(service["user"] as? String == "10001:10001", "\(name): non-root")
                #expect(service["read_only"] as? Bool == true, "\(name): read-only root filesystem")
                #expect(
                    Self.strings(service["cap_drop"]) == ["ALL"] && Self.strings(service["security_opt"]) == ["no-new-privileges:true"], "\(name)")
            } else {
                #expect(Self.pinned(image), "\(name): \(image) pinned to a version")
            }
        }
        #expect(services["prometheus"] != nil)
    }

    @Test("the workers' maximum graceful-shutdown duration is below every manifest's grace period")
    func gracefulShutdownFitsTheGracePeriods() throws {
        let limit = WorkerSettings.maximumGracefulShutdownDuration
        var periods: [(String, Duration)] = []
        for (name, service) in try Self.composeServices() where ["worker", "gateway"].contains(Self.strings(service["command"]).first ?? "") {
            // Compose's default is 10 s; ours are written as "<n>s".
            let text = try #require(service["stop_grace_period"] as? String, "\(name): stop_grace_period")
            let seconds = try #require(Int(text.dropLast()), "\(name): \(text)")
            #expect(text.hasSuffix("s") && !text.hasSuffix("ms"))
            periods.append(("compose \(name)", .seconds(seconds)))
        }
        for (file, doc) in try Self.kubernetes() where Self.kind(doc) == "Deployment" {
            let grace = try #require(Self.podSpec(doc)?["terminationGracePeriodSeconds"] as? Int, "\(file)")
            periods.append((file, .seconds(grace)))
        }
        #expect(periods.count >= 10, "four compose workers and the gateway, four Deployments and the gateway's")
        for (what, period) in periods {
            // Leave the process a few seconds to close the producer and exit after the services stop.
            #expect(limit + .seconds(5) <= period, "\(what): grace \(period), graceful shutdown up to \(limit)")
        }
    }

    // MARK: - Dockerfile

    @Test("Dockerfile: two stages on exactly tagged bases, librdkafka 2.8.0 by the project's script, a non-root user")
    func dockerfile() throws {
        let text = try Self.text("deploy/Dockerfile")
        let froms = text.split(separator: "\n").filter { $0.hasPrefix("FROM ") }.map { $0.split(separator: " ").map(String.init) }
        #expect(froms.count == 2, "a build stage and a runtime stage")
        for from in froms {
            let image = from.count > 1 ? from[1] : ""
            // An exact version (6.3.1, not 6.3 or latest), optionally with a digest.
            #expect(image.range(of: #"^[a-z/]+:\d+\.\d+\.\d+[-a-z]*(@sha256:[0-9a-f]{64})?$"#, options: .regularExpression) != nil, "\(image)")
        }
        #expect(text.contains("scripts/build-librdkafka.sh"))
        #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("scripts/build-librdkafka.sh").path))
        let setup = try Self.text("scripts/setup.sh")
        let version = try #require(setup.range(of: #"RDKAFKA_VERSION=[0-9.]+"#, options: .regularExpression).map { String(setup[$0]) })
        #expect(text.contains("ARG \(version)"), "the image builds the librdkafka `make setup` builds (\(version))")
        let user = text.split(separator: "\n").last { $0.hasPrefix("USER ") }.map {
            $0.dropFirst(5).split(separator: ":").first.map(String.init) ?? ""
        }
        #expect(user.flatMap { Int($0) }.map { $0 > 0 } == true, "a numeric non-root USER last (Kubernetes' runAsNonRoot checks the number)")
        #expect(text.contains(#"ENTRYPOINT ["/usr/local/bin/frontdoor"]"#))
        #expect(text.contains("COPY Config"))
        let exposed = text.split(separator: "\n").filter { $0.hasPrefix("EXPOSE ") }.flatMap { $0.split(separator: " ").dropFirst() }
        #expect(exposed.contains("\(Self.defaultHTTPPort)"), "the workers' HTTP port")
        #expect(exposed.contains("\(Self.defaultGatewayPort)"), "the gateway's port")
    }

    // MARK: - Kubernetes

    @Test("kustomize: the kustomization lists every manifest, and every image is pinned")
    func kustomization() throws {
        let k = try Self.yaml("deploy/k8s/kustomization.yaml")
        let resources = Set(Self.strings(k["resources"]))
        let manifests = Set(try Self.files(in: "deploy/k8s", suffix: ".yaml").map { String($0.dropFirst("deploy/k8s/".count)) }).subtracting([
            "kustomization.yaml"
        ])
        #expect(resources == manifests)
        for image in Self.list(k["images"]) {
            let tag = image["newTag"] as? String ?? image["digest"] as? String ?? ""
            #expect(!tag.isEmpty && tag != "latest", "\(image)")
        }
        var images = Set<String>()
        for (file, doc) in try Self.kubernetes() {
            guard let pod = Self.podSpec(doc) else { continue }
            for container in Self.containers(pod) {
                let image = container["image"] as? String ?? ""
                #expect(Self.pinned(image), "\(file): \(image)")
                images.insert(image)
            }
        }
        #expect(images.count == 1, "one release of the one image everywhere: \(images)")
        #expect(Self.pinned("frontdoor:latest") == false && Self.pinned("frontdoor") == false && Self.pinned("frontdoor:0.1.0"))
        #expect(!Self.list(k["secretGenerator"]).contains { Self.strings($0["literals"]).contains { $0.lowercased().contains("password") } })
    }

    @Test("kubernetes: a Deployment and a PodDisruptionBudget per worker, with resources, running its subcommand")
    func deployments() throws {
        let code = try Code()
        let docs = try Self.kubernetes()
        for kind in code.workerKinds {
            let d = try #require(
                docs.first { Self.kind($0.doc) == "Deployment" && Self.name($0.doc) == "worker-\(kind)" }, "Deployment worker-\(kind)"
            ).doc
            let labels = Self.map(Self.map(Self.map(Self.map(d["spec"])["template"])["metadata"])["labels"])
            #expect(labels["app"] as? String == "frontdoor" && labels["worker"] as? String == kind, "the scrape and the alerts read these labels")
            let container = try #require(Self.firstContainer(d))
            #expect(Self.strings(container["args"]) == ["worker", kind])
            let resources = Self.map(container["resources"])
            for part in ["requests", "limits"] {
                #expect(Self.map(resources[part])["cpu"] != nil && Self.map(resources[part])["memory"] != nil, "worker-\(kind): \(part)")
            }
            let pdb = try #require(
                docs.first { Self.kind($0.doc) == "PodDisruptionBudget" && Self.name($0.doc) == "worker-\(kind)" }, "PDB worker-\(kind)"
            ).doc
            let selector = Self.map(Self.map(Self.map(pdb["spec"])["selector"])["matchLabels"])
            #expect(selector["worker"] as? String == kind && selector["app"] as? String == "frontdoor")
            #expect(Self.map(pdb["spec"])["maxUnavailable"] as? Int == 1, "a single replica can still be drained")
        }
    }

    @Test("every container runs as non-root on a read-only root filesystem, without privilege escalation or capabilities")
    func securityContexts() throws {
        var checked = 0
        for (file, doc) in try Self.kubernetes() {
            guard let pod = Self.podSpec(doc) else { continue }
            let podContext = Self.map(pod["securityContext"])
            #expect(podContext["runAsNonRoot"] as? Bool == true, "\(file): pod runAsNonRoot")
            #expect((podContext["runAsUser"] as? Int ?? 0) > 0, "\(file): pod runAsUser")
            #expect(pod["automountServiceAccountToken"] as? Bool == false, "\(file): no API token in the pod")
            for container in Self.containers(pod) {
                checked += 1
                let c = Self.map(container["securityContext"])
                let name = "\(file): \(container["name"] ?? "")"
                #expect(c["runAsNonRoot"] as? Bool == true, "\(name)")
                #expect(c["readOnlyRootFilesystem"] as? Bool == true, "\(name)")
                #expect(c["allowPrivilegeEscalation"] as? Bool == false, "\(name)")
                #expect(Self.strings(Self.map(c["capabilities"])["drop"]) == ["ALL"], "\(name)")
                #expect(c["privileged"] as? Bool != true, "\(name)")
            }
        }
        #expect(checked >= 7, "four workers, migrate and topics, purge")
    }

    /// The Secret a file path of a container is mounted from (with the item the path names), or nil.
    static func secretFile(_ path: String, container: Node, pod: Node) -> (secret: String, readOnly: Bool)? {
        guard let mount = list(container["volumeMounts"]).first(where: { path.hasPrefix("\($0["mountPath"] as? String ?? "")/") }),
            let volume = list(pod["volumes"]).first(where: { $0["name"] as? String == mount["name"] as? String }),
            let secret = map(volume["secret"])["secretName"] as? String
        else { return nil }
        let file = String(path.dropFirst((mount["mountPath"] as? String ?? "").count + 1))
        let items = list(map(volume["secret"])["items"])
        guard items.isEmpty || items.contains(where: { $0["path"] as? String == file }) else { return nil }
        return (secret, mount["readOnly"] as? Bool == true)
    }

    @Test("secrets are referenced, never written: no Secret manifests, every credential from a secretKeyRef")
    func secretsReferenced() throws {
        for (file, doc) in try Self.kubernetes() {
            #expect(Self.kind(doc) != "Secret", "\(file): \(Self.name(doc))")
            guard let pod = Self.podSpec(doc) else { continue }
            for container in Self.containers(pod) {
                for variable in Self.list(container["env"]) {
                    let name = variable["name"] as? String ?? ""
                    guard ["PASSWORD", "_KEY", "DATABASE_URL"].contains(where: name.contains) else { continue }
                    // A path to a file of a Secret mounted read-only (the gateway's TLS key) is a reference too.
                    if let path = variable["value"] as? String, let mounted = Self.secretFile(path, container: container, pod: pod) {
                        #expect(mounted.readOnly, "\(file): \(name): \(mounted.secret) mounted read-only")
                        continue
                    }
                    #expect(variable["value"] == nil, "\(file): \(name) written in the manifest")
                    #expect(Self.map(Self.map(variable["valueFrom"])["secretKeyRef"])["name"] != nil, "\(file): \(name) from a Secret")
                }
            }
        }
        let config = try Self.text("deploy/k8s/config.yaml")
        #expect(!config.contains("PASSWORD:"))
    }

    @Test("KEDA: a ScaledObject per consumer worker with a kafka trigger on each of its input topics, authenticated")
    func scaledObjects() throws {
        let code = try Code()
        let docs = try Self.kubernetes()
        let auths = Dictionary(
            docs.filter { Self.kind($0.doc) == "TriggerAuthentication" }.map { (Self.name($0.doc), $0.doc) }, uniquingKeysWith: { a, _ in a })
        let users = try Self.kafkaUsers()
        #expect(!docs.contains { Self.kind($0.doc) == "ScaledObject" && Self.name($0.doc) == "worker-relay" }, "the relay is no consumer")
        for (kind, topics) in code.inputs {
            let s = try #require(
                docs.first { Self.kind($0.doc) == "ScaledObject" && Self.name($0.doc) == "worker-\(kind)" }, "ScaledObject worker-\(kind)")
            let spec = Self.map(s.doc["spec"])
            #expect(Self.map(spec["scaleTargetRef"])["name"] as? String == "worker-\(kind)")
            let maxReplicas = try #require(spec["maxReplicaCount"] as? Int)
            #expect(maxReplicas <= 6, "more replicas than `topics create`'s default 6 partitions would idle")
            let triggers = Self.list(spec["triggers"])
            #expect(triggers.allSatisfy { $0["type"] as? String == "kafka" })
            let watched = triggers.compactMap { Self.map($0["metadata"])["topic"] as? String }
            #expect(watched.sorted() == topics, "worker-\(kind) scales on the lag of every topic it consumes")
            for trigger in triggers {
                let meta = Self.map(trigger["metadata"])
                #expect(meta["consumerGroup"] as? String == code.settings.group(kind))
                #expect((meta["bootstrapServers"] as? String)?.isEmpty == false)
                let authName = try #require(Self.map(trigger["authenticationRef"])["name"] as? String, "worker-\(kind): authenticationRef")
                let auth = try #require(auths[authName], "TriggerAuthentication \(authName)")
                let refs = Self.list(Self.map(auth["spec"])["secretTargetRef"])
                let parameters = Set(refs.compactMap { $0["parameter"] as? String })
                #expect(parameters.isSuperset(of: ["sasl", "username", "password", "tls", "ca"]), "\(authName): SCRAM over TLS")
                // The password is the one Strimzi wrote for KEDA's own principal, which may only describe.
                let password = try #require(refs.first { $0["parameter"] as? String == "password" })
                let principal = try #require(users[password["name"] as? String ?? ""], "\(authName): a KafkaUser's Secret")
                #expect(principal.topics(.read, among: code.allTopics).isEmpty, "KEDA reads no topic")
                for topic in topics { #expect(principal.topics(.describe, among: code.allTopics).contains(topic)) }
                #expect(principal.groups(.describe).contains(code.settings.group(kind)))
            }
        }
        // The settings Secret the TriggerAuthentication reads: SCRAM-SHA-512 as frontdoor-keda.
        let generated = Self.list(try Self.yaml("deploy/k8s/kustomization.yaml")["secretGenerator"])
        let settingsSecret = generated.first(where: { $0["name"] as? String == "frontdoor-keda-kafka-settings" })
        let settings = Set(Self.strings(settingsSecret?["literals"]))
        #expect(settings == ["username=frontdoor-keda", "sasl=scram_sha512", "tls=enable"])
    }

    // MARK: - Kafka principals

    /// A Strimzi `KafkaUser` with simple authorization, evaluated as Kafka's authorizer would for
    /// the named resources (literal and prefixed patterns, `*`, the `All` operation).
    struct Principal {
        enum Operation: String {
            case read = "Read"
            case write = "Write"
            case describe = "Describe"
            case create = "Create"
        }
        struct ACL {
            var type: String
            var name: String
            var prefix: Bool
            var operations: Set<String>
            func allows(_ operation: Operation, on resource: String) -> Bool {
                (operations.contains(operation.rawValue) || operations.contains("All"))
                    && (name == "*" || (prefix ? resource.hasPrefix(name) : resource == name))
            }
        }
        var name: String
        var authentication: String
        var acls: [ACL]

        func topics(_ operation: Operation, among topics: [String]) -> Set<String> {
            Set(topics.filter { t in acls.contains { $0.type == "topic" && $0.allows(operation, on: t) } })
        }
        /// Literal group names it may use this way.
        func groups(_ operation: Operation) -> Set<String> {
            Set(acls.filter { $0.type == "group" && !$0.prefix && $0.allows(operation, on: $0.name) }.map(\.name))
        }
    }

    static func kafkaUsers() throws -> [String: Principal] {
        var users: [String: Principal] = [:]
        for (_, doc) in try kubernetes() where kind(doc) == "KafkaUser" {
            let spec = map(doc["spec"])
            let acls = list(map(spec["authorization"])["acls"]).map { acl in
                let resource = map(acl["resource"])
                return Principal.ACL(
                    type: resource["type"] as? String ?? "", name: resource["name"] as? String ?? "",
                    prefix: resource["patternType"] as? String == "prefix",
                    operations: Set(strings(acl["operations"]) + [acl["operation"] as? String].compactMap { $0 }))
            }
            users[name(doc)] = Principal(name: name(doc), authentication: map(spec["authentication"])["type"] as? String ?? "", acls: acls)
        }
        return users
    }

    @Test("each worker has its own principal: it reads its input topics in its group and writes their DLQs, nothing else")
    func workerPrincipals() throws {
        let code = try Code()
        let users = try Self.kafkaUsers()
        let topics = code.allTopics
        #expect(topics.count == code.settings.topics.inputs.count * 2 + 1 + code.unitIds.count)
        for (kind, inputs) in code.inputs {
            let user = try #require(users["frontdoor-\(kind)"], "KafkaUser frontdoor-\(kind)")
            #expect(user.topics(.read, among: topics) == Set(inputs), "frontdoor-\(kind) reads")
            #expect(user.topics(.write, among: topics) == Set(inputs.map(code.settings.topics.dlq(of:))), "frontdoor-\(kind) writes its DLQs")
            #expect(user.groups(.read) == [code.settings.group(kind)])
        }
        let relay = try #require(users["frontdoor-relay"])
        #expect(relay.topics(.read, among: topics).isEmpty)
        let notified = Set([code.settings.topics.enforcement] + code.unitIds.map(code.settings.topics.earlyHelp(unit:)))
        #expect(relay.topics(.write, among: topics) == notified, "the relay writes the enforcement and every unit topic")
        let admin = try #require(users["frontdoor-admin"])
        #expect(admin.topics(.create, among: topics) == Set(topics) && admin.topics(.read, among: topics).isEmpty)
        let console = try #require(users["frontdoor-dlq-console"])
        let inputs = code.settings.topics.inputs
        #expect(console.topics(.read, among: topics) == Set(inputs.map(code.settings.topics.dlq(of:))))
        #expect(console.topics(.write, among: topics) == Set(inputs), "a replay goes back to the input topic")
        for user in users.values {
            #expect(user.authentication == "scram-sha-512", "\(user.name)")
            #expect(!user.acls.contains { $0.operations.contains("All") || $0.name == "*" }, "\(user.name): no wildcard")
        }
        // Every process logs in as its own principal, with the password Strimzi wrote for it.
        var logins: [String: String] = [:]
        for (file, doc) in try Self.kubernetes() {
            guard let pod = Self.podSpec(doc) else { continue }
            for container in Self.containers(pod) {
                let env = Self.list(container["env"])
                guard let username = env.first(where: { $0["name"] as? String == "FRONTDOOR_KAFKA_SASL_USERNAME" })?["value"] as? String else {
                    continue
                }
                let password = env.first { $0["name"] as? String == "FRONTDOOR_KAFKA_SASL_PASSWORD" }
                let secret = Self.map(Self.map(password?["valueFrom"])["secretKeyRef"])
                #expect(users[username] != nil, "\(file): \(username) is a KafkaUser")
                #expect(secret["name"] as? String == username && secret["key"] as? String == "password", "\(file): \(username)'s own Secret")
                logins[Self.strings(container["args"]).joined(separator: " ")] = username
            }
        }
        for kind in code.workerKinds { #expect(logins["worker \(kind)"] == "frontdoor-\(kind)", "worker \(kind)") }
        #expect(logins["topics create"] == "frontdoor-admin")
        #expect(logins["gateway"] == "frontdoor-gateway")
    }

    @Test("each Early Help Unit of districts.csv has its topic and a principal that reads that topic only, and no DLQ")
    func unitPrincipals() throws {
        let code = try Code()
        let users = try Self.kafkaUsers()
        let topics = code.allTopics
        #expect(!code.unitIds.isEmpty)
        let districts = try Self.text("Config/districts.csv").split(separator: "\n").dropFirst().compactMap {
            $0.split(separator: ",").last.map(String.init)
        }
        #expect(Set(districts) == Set(code.unitIds), "every unit of Config/districts.csv")
        for unit in code.unitIds {
            let topic = code.settings.topics.earlyHelp(unit: unit)
            #expect(topics.contains(topic), "topics create makes \(topic)")
            let user = try #require(users["eh-\(unit)"], "KafkaUser eh-\(unit)")
            #expect(user.topics(.read, among: topics) == [topic], "eh-\(unit) reads its own topic only")
            #expect(user.topics(.write, among: topics).isEmpty)
            #expect(user.groups(.read) == ["eh-\(unit)"])
        }
        let enforcement = try #require(users["enforcement-team"])
        #expect(enforcement.topics(.read, among: topics) == [code.settings.topics.enforcement])
        // No subscriber principal reads another unit's topic or any DLQ, whatever it is called.
        let dlqs = Set(code.settings.topics.inputs.map(code.settings.topics.dlq(of:)))
        for user in users.values where !user.name.hasPrefix("frontdoor-") {
            let reads = user.topics(.read, among: topics)
            #expect(reads.count == 1 && reads.isDisjoint(with: dlqs), "\(user.name) reads \(reads)")
        }
        for user in users.values where !dlqs.isDisjoint(with: user.topics(.read, among: topics)) {
            #expect(user.name == "frontdoor-dlq-console", "\(user.name) reads a DLQ, which holds names and free text")
        }
        // The evaluator sees a prefix that would let a unit read its neighbours.
        let loose = Principal(
            name: "eh-x", authentication: "", acls: [.init(type: "topic", name: "frontdoor.early-help.", prefix: true, operations: ["Read"])])
        #expect(loose.topics(.read, among: topics).count == code.unitIds.count)
    }

    // MARK: - The gateway

    /// The string values of a container's `env` (or a Compose `environment` mapping).
    static func values(_ env: [Node]) -> [String: String] {
        var values: [String: String] = [:]
        for variable in env {
            if let name = variable["name"] as? String, let value = variable["value"] as? String { values[name] = value }
        }
        return values
    }

    @Test("kubernetes: the gateway's Deployment, Service and PDB: HTTPS on its port with a read-only Secret, probes on a path it serves")
    func gatewayManifests() throws {
        let code = try Code()
        #expect(code.gatewayGetPaths.contains("/refer"), "the checker reads the router: \(code.gatewayGetPaths)")
        let docs = try Self.kubernetes()
        let d = try #require(docs.first { Self.kind($0.doc) == "Deployment" && Self.name($0.doc) == "gateway" }, "Deployment gateway").doc
        let labels = Self.map(Self.map(Self.map(Self.map(d["spec"])["template"])["metadata"])["labels"])
        #expect(labels["app"] as? String == "frontdoor", "the namespace's app label")
        #expect(labels["worker"] == nil, "the workers' scrape, alerts and `worker` label are not the gateway's")
        let pod = try #require(Self.podSpec(d))
        let container = try #require(Self.firstContainer(d))
        #expect(Self.strings(container["args"]) == ["gateway"])
        // The settings as the process reads them from its environment.
        let settings = GatewaySettings(environment: Self.values(Self.list(container["env"])))
        #expect(settings.host == "0.0.0.0", "reachable by the Service and the kubelet")
        #expect(settings.usesTLS, "HTTPS only in the cluster")
        let ports = Self.list(container["ports"])
        let port = try #require(ports.first { $0["containerPort"] as? Int == settings.port }, "a container port \(settings.port)")
        let portName = try #require(port["name"] as? String)
        // No /metrics on the gateway, so its port must not be the one Prometheus's pod scrape keeps.
        #expect(!code.gatewayGetPaths.contains("/metrics") && portName != "metrics")
        // The certificate and the key: files of the Secret frontdoor-gateway-tls under a read-only mount.
        for path in [settings.tlsCertificatePath, settings.tlsKeyPath].compactMap({ $0 }) {
            let mounted = try #require(Self.secretFile(path, container: container, pod: pod), "\(path) is a file of a mounted Secret")
            #expect(mounted.secret == "frontdoor-gateway-tls" && mounted.readOnly, "\(path): \(mounted)")
        }
        // It serves no health path: the probes GET a path its router answers, over its scheme and port.
        for probe in ["startupProbe", "livenessProbe", "readinessProbe"] {
            let get = Self.map(Self.map(container[probe])["httpGet"])
            #expect(code.gatewayGetPaths.contains(get["path"] as? String ?? ""), "\(probe): \(get["path"] ?? "no path") is served")
            #expect(get["port"] as? Int == settings.port || get["port"] as? String == portName, "\(probe) port")
            #expect(get["scheme"] as? String == (settings.usesTLS ? "HTTPS" : "HTTP"), "\(probe) scheme")
        }
        let resources = Self.map(container["resources"])
        for part in ["requests", "limits"] {
            #expect(Self.map(resources[part])["cpu"] != nil && Self.map(resources[part])["memory"] != nil, "gateway: \(part)")
        }
        // The Service reaches the gateway's pods, and only them, on its port.
        let matches = { (selector: Node, labels: Node) in selector.allSatisfy { labels[$0.key] as? String == $0.value as? String } }
        let service = try #require(docs.first { Self.kind($0.doc) == "Service" && Self.name($0.doc) == "gateway" }, "Service gateway").doc
        let selector = Self.map(Self.map(service["spec"])["selector"])
        #expect(!selector.isEmpty && matches(selector, labels))
        for (file, other) in docs where Self.kind(other) == "Deployment" && Self.name(other) != "gateway" {
            #expect(!matches(selector, Self.map(Self.map(Self.map(Self.map(other["spec"])["template"])["metadata"])["labels"])), "\(file)")
        }
        let servicePorts = Self.list(Self.map(service["spec"])["ports"])
        #expect(!servicePorts.isEmpty)
        #expect(servicePorts.allSatisfy { $0["targetPort"] as? String == portName || $0["targetPort"] as? Int == settings.port })
        let pdb = try #require(docs.first { Self.kind($0.doc) == "PodDisruptionBudget" && Self.name($0.doc) == "gateway" }, "PDB gateway").doc
        #expect(matches(Self.map(Self.map(Self.map(pdb["spec"])["selector"])["matchLabels"]), labels))
        #expect(Self.map(pdb["spec"])["maxUnavailable"] as? Int == 1)
    }

    @Test("compose: the gateway service runs `frontdoor gateway` on its port, checked on a path it serves")
    func gatewayCompose() throws {
        let code = try Code()
        let gateway = try #require(try Self.composeServices()["gateway"], "compose service gateway")
        #expect(Self.strings(gateway["command"]) == ["gateway"])
        let settings = GatewaySettings(environment: Self.map(gateway["environment"]).compactMapValues { $0 as? String })
        #expect(settings.host == "0.0.0.0", "reachable through the published port")
        let check = try #require(Self.strings(Self.map(gateway["healthcheck"])["test"]).last)
        let base = "\(settings.usesTLS ? "https" : "http")://127.0.0.1:\(settings.port)"
        #expect(check.hasPrefix(base) && code.gatewayGetPaths.contains(String(check.dropFirst(base.count))), "\(check)")
        #expect(Self.strings(gateway["ports"]).contains { $0.hasSuffix(":\(settings.port)") }, "publishes \(settings.port)")
        #expect(Self.strings(gateway["ports"]).allSatisfy { $0.hasPrefix("127.0.0.1:") }, "plain HTTP: on the host's loopback only")
        #expect(Self.map(Self.map(gateway["depends_on"])["init"])["condition"] as? String == "service_completed_successfully")
    }

    @Test("the gateway's principal writes every topic its EventRouting publishes to, reads none and joins no group")
    func gatewayPrincipal() throws {
        let code = try Code()
        #expect(Set(code.gatewayRoutes.keys) == Code.inputCases, "a sample of every input event type decodes and is routed")
        let published = Set(code.gatewayRoutes.values)
        #expect(published.isSubset(of: Set(code.settings.topics.inputs)), "the gateway publishes to input topics only")
        let user = try #require(try Self.kafkaUsers()["frontdoor-gateway"], "KafkaUser frontdoor-gateway")
        #expect(user.topics(.read, among: code.allTopics).isEmpty, "the gateway reads no topic")
        #expect(!user.acls.contains { $0.type == "group" }, "and joins no consumer group")
        #expect(user.topics(.write, among: code.allTopics) == published, "it writes exactly the topics it routes to")
        #expect(user.topics(.describe, among: code.allTopics).isSuperset(of: published))
        #expect(user.acls.contains { $0.type == "cluster" && $0.operations.contains("IdempotentWrite") }, "the idempotent producer")
    }

    // MARK: - Prometheus

    @Test("alert rules: every metric they name exists in Sources/, every alert is unit-tested firing and not firing and has a runbook entry")
    func alertRules() throws {
        let rules = try Self.yaml("deploy/prometheus/rules/frontdoor.yml")
        let groups = Self.list(rules["groups"])
        let ruleList = groups.flatMap { Self.list($0["rules"]) }
        let alerts = ruleList.filter { $0["alert"] != nil }
        let names = Set(alerts.compactMap { $0["alert"] as? String })
        #expect(
            names.isSuperset(of: [
                "FrontdoorConsumerLagGrowing", "FrontdoorOutboxNotSent", "FrontdoorRejectRateHigh", "FrontdoorRegisterMissing",
                "FrontdoorWorkerNotReady", "FrontdoorWorkerDown", "FrontdoorWorkerAbsent",
            ]))
        // Metric names (not recording rules, which have a colon, nor Prometheus's own `up`).
        let regex = try NSRegularExpression(pattern: #"\b(frontdoor_[a-z_]+|process_[a-z_]+)\b"#)
        var metrics = Set<String>()
        for rule in ruleList {
            let expr = rule["expr"] as? String ?? ""
            for match in regex.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)) {
                if let r = Range(match.range, in: expr) { metrics.insert(String(expr[r])) }
            }
        }
        #expect(metrics.count >= 7)
        let source = try Self.sourceText()
        let missing = metrics.sorted().filter { metric in
            // A histogram's series are its name plus _bucket, _count, _sum; a counter may be declared without _total.
            let base = ["_bucket", "_count", "_sum"].reduce(metric) { $0.hasSuffix($1) ? String($0.dropLast($1.count)) : $0 }
            return !source.contains("\"\(base)\"") && !source.contains("\"\(base.replacingOccurrences(of: "_total", with: ""))\"")
        }
        #expect(missing.isEmpty, "metrics the rules name that Sources/ does not: \(missing)")
        // The workers the absence alert lists are the real worker kinds.
        let absent = try #require(alerts.first { $0["alert"] as? String == "FrontdoorWorkerAbsent" }?["expr"] as? String)
        for kind in try Code().workerKinds { #expect(absent.contains("worker=\"\(kind)\""), "\(kind)") }
        // Each alert: promtool tests where it fires and where it does not (tests/*.yml).
        var firing = Set<String>()
        var quiet = Set<String>()
        for file in try Self.files(in: "deploy/prometheus/tests", suffix: ".yml") {
            for test in Self.list(try Self.yaml(file)["tests"]) {
                for check in Self.list(test["alert_rule_test"]) {
                    guard let name = check["alertname"] as? String else { continue }
                    if Self.list(check["exp_alerts"]).isEmpty { quiet.insert(name) } else { firing.insert(name) }
                }
            }
        }
        #expect(firing == names, "a promtool test where each alert fires")
        #expect(quiet == names, "a promtool test where each alert stays quiet")
        // Each alert's runbook link is a section of docs/runbook.md.
        let runbook = try Self.text("docs/runbook.md")
        for alert in alerts {
            let name = alert["alert"] as? String ?? ""
            let link = Self.map(alert["annotations"])["runbook"] as? String
            #expect(link == "docs/runbook.md#\(name.lowercased())", "\(name)")
            #expect(runbook.contains("\n### \(name)\n"), "docs/runbook.md has a section \(name)")
        }
    }
}
