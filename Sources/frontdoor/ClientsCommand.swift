import ArgumentParser
import Foundation
import FrontDoorDomain
import FrontDoorGateway
import FrontDoorStore
import FrontDoorWorkers

// `frontdoor clients add|rotate|revoke|list`: the gateway's clients and their keys. Each call
// writes an audit_log row (rule `governance`, decision `clients-<verb>`, the client id as
// subject) in the transaction that makes the change; keys are printed once and never stored.

struct Clients: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the gateway's clients: schools, agencies and officers' tools, each with its own key.",
        subcommands: [Add.self, Rotate.self, Revoke.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a client and print its new key (once: only its SHA-256 is stored).",
            discussion: """
                A school sends its own attendance, exclusions, roll changes and referrals (source urn:laestab:<laestab>);
                an agency only referrals (source urn:frontdoor:agency:<id>); an officer tool only decisions and
                referral resolutions (source urn:frontdoor:officer-tool:<id>). Audited (rule governance).
                """)

        @Option(help: "school | agency | officer-tool")
        var kind: String

        @Option(help: "The school's LAESTAB (7 digits); schools only.")
        var laestab: String?

        @Option(help: "The client's id: lower-case letters, digits and hyphens (default for a school: school-<laestab>).")
        var id: String?

        @Flag(help: "Print only the key (for scripts).")
        var quiet = false

        func validate() throws {
            guard let kind = GatewayClient.Kind(rawValue: kind) else { throw ValidationError("--kind must be school, agency or officer-tool") }
            if kind == .school {
                guard let laestab, (try? LAESTAB(validating: laestab)) != nil else {
                    throw ValidationError("a school needs --laestab (7 digits)")
                }
            } else if laestab != nil {
                throw ValidationError("--laestab is for schools only")
            }
            if kind != .school, id == nil { throw ValidationError("an \(kind.rawValue) needs --id") }
            if let id, !GatewayClient.isValidID(id) {
                throw ValidationError("--id must be 1 to 63 lower-case letters, digits and hyphens, not starting with a hyphen")
            }
        }

        func run() async throws {
            let settings = WorkerSettings()
            let laestab = self.laestab
            let kind = self.kind
            let id = self.id ?? "school-\(laestab ?? "")"
            let key = ClientKey.generate()
            let added = try await withGovernanceDatabase(settings) { db in
                try await db.withTransaction { tx in
                    let added = try await tx.addGatewayClient(id: id, kind: kind, laestab: laestab, keySHA256: key.sha256Hex)
                    var figures: [String: Any] = ["kind": kind, "added": added]
                    if let laestab { figures["laestab"] = laestab }
                    try await tx.audit([GovernanceAudit.entry(decision: "clients-add", subjectRef: id, figures: figures)])
                    return added
                }
            }
            guard added else {
                print("a client \(id) exists already (ids are not reused); `frontdoor clients rotate --id \(id)` makes it a new key")
                throw ExitCode.failure
            }
            if quiet {
                print(key.text)
            } else {
                print("added \(kind) client \(id)")
                print("key (shown once; send it as Authorization: Bearer <key>): \(key.text)")
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a client a new key and print it (once); the old key stops working at once. Audited.")

        @Option(help: "The client's id.")
        var id: String

        @Flag(help: "Print only the key (for scripts).")
        var quiet = false

        func run() async throws {
            let settings = WorkerSettings()
            let id = self.id
            let key = ClientKey.generate()
            let rotated = try await withGovernanceDatabase(settings) { db in
                try await db.withTransaction { tx in
                    let rotated = try await tx.rotateGatewayClientKey(id: id, keySHA256: key.sha256Hex)
                    try await tx.audit([GovernanceAudit.entry(decision: "clients-rotate", subjectRef: id, figures: ["rotated": rotated])])
                    return rotated
                }
            }
            guard rotated else {
                print("no current client \(id) (unknown or revoked)")
                throw ExitCode.failure
            }
            print(quiet ? key.text : "rotated the key of \(id)\nkey (shown once): \(key.text)")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a client for good: its key stops working at once. Audited.")

        @Option(help: "The client's id.")
        var id: String

        func run() async throws {
            let settings = WorkerSettings()
            let id = self.id
            let revoked = try await withGovernanceDatabase(settings) { db in
                try await db.withTransaction { tx in
                    let revoked = try await tx.revokeGatewayClient(id: id)
                    try await tx.audit([GovernanceAudit.entry(decision: "clients-revoke", subjectRef: id, figures: ["revoked": revoked])])
                    return revoked
                }
            }
            guard revoked else {
                print("no current client \(id) (unknown or revoked already)")
                throw ExitCode.failure
            }
            print("revoked \(id)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the clients (never their keys). Audited.")

        func run() async throws {
            let settings = WorkerSettings()
            let clients = try await withGovernanceDatabase(settings) { db in
                try await db.withTransaction { tx in
                    let clients = try await tx.gatewayClients()
                    try await tx.audit([GovernanceAudit.entry(decision: "clients-list", subjectRef: "all", figures: ["clients": clients.count])])
                    return clients
                }
            }
            func time(_ d: Date?) -> String { d.map { RFC3339.format($0) } ?? "-" }
            print("id\tkind\tlaestab\tcreated\trotated\trevoked")
            for c in clients {
                print("\(c.id)\t\(c.kind)\t\(c.laestab ?? "-")\t\(time(c.createdAt))\t\(time(c.rotatedAt))\t\(time(c.revokedAt))")
            }
        }
    }
}
