import Foundation
import PostgresNIO

extension StoreTransaction {
    /// Adds a client with the SHA-256 (lower-case hex) of its new key. Returns `false`, changing
    /// nothing, when a client with that id already exists (revoked or not: ids are never reused).
    public func addGatewayClient(id: String, kind: String, laestab: String?, keySHA256: String) async throws -> Bool {
        try await self.count(
            """
            INSERT INTO gateway_clients (id, kind, laestab, key_sha256) VALUES (\(id), \(kind), \(laestab), \(keySHA256))
            ON CONFLICT (id) DO NOTHING RETURNING 1
            """,
            "add gateway client"
        ) == 1
    }

    /// Replaces a client's key hash; the old key stops working at once. Returns `false` when there
    /// is no such client or it is revoked.
    public func rotateGatewayClientKey(id: String, keySHA256: String) async throws -> Bool {
        try await self.count(
            """
            UPDATE gateway_clients SET key_sha256 = \(keySHA256), rotated_at = now()
            WHERE id = \(id) AND revoked_at IS NULL RETURNING 1
            """,
            "rotate gateway client key"
        ) == 1
    }

    /// Revokes a client for good. Returns `false` when there is no such client or it was revoked already.
    public func revokeGatewayClient(id: String) async throws -> Bool {
        try await self.count(
            "UPDATE gateway_clients SET revoked_at = now() WHERE id = \(id) AND revoked_at IS NULL RETURNING 1",
            "revoke gateway client"
        ) == 1
    }

    /// Every client, revoked ones included, by id.
    public func gatewayClients() async throws -> [GatewayClientRecord] {
        try await self.map(
            "SELECT id, kind, laestab, created_at, rotated_at, revoked_at FROM gateway_clients ORDER BY id",
            "load gateway clients",
            GatewayClientRecord.init(row:)
        )
    }

    /// The client whose current key hashes to `keySHA256`, unless it is revoked.
    public func activeGatewayClient(keySHA256: String) async throws -> GatewayClientRecord? {
        try await self.map(
            """
            SELECT id, kind, laestab, created_at, rotated_at, revoked_at FROM gateway_clients
            WHERE key_sha256 = \(keySHA256) AND revoked_at IS NULL
            """,
            "load gateway client by key",
            GatewayClientRecord.init(row:)
        ).first
    }
}

extension GatewayClientRecord {
    init(row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.get("id"),
            kind: try row.get("kind"),
            laestab: try row.get("laestab", as: String?.self),
            createdAt: try row.get("created_at"),
            rotatedAt: try row.get("rotated_at", as: Date?.self),
            revokedAt: try row.get("revoked_at", as: Date?.self)
        )
    }
}
