extension Migration {
    /// Issue 12: the gateway's clients (schools, agencies and officers' tools), each with its own
    /// API key. Only the key's SHA-256 is stored; the key itself is printed once, when it is made.
    ///
    /// Version 11 (reserved for the gateway); other branches add 9 and 10, and the ``Migrator``
    /// accepts gaps in the sequence.
    static let gatewayClients = Migration(
        version: 11,
        name: "gateway-clients",
        statements: [
            """
            CREATE TABLE gateway_clients (
                id text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
                kind text NOT NULL CHECK (kind IN ('school', 'agency', 'officer-tool')),
                laestab text CHECK (laestab ~ '^[0-9]{7}$'),
                key_sha256 text NOT NULL UNIQUE CHECK (key_sha256 ~ '^[0-9a-f]{64}$'),
                created_at timestamptz NOT NULL DEFAULT now(),
                rotated_at timestamptz,
                revoked_at timestamptz,
                CHECK ((kind = 'school') = (laestab IS NOT NULL))
            )
            """
        ]
    )
}
