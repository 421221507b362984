import Foundation
import PostgresNIO

extension StoreTransaction {
    /// The state a rule keeps under `(scope, key)` as UTF-8 JSON, or `nil` if none.
    ///
    /// Scopes are the rule's name (e.g. `"attendance-thresholds"`), keys its subject (e.g.
    /// `"<upn>|2026/27"`). `jsonb` normalises the JSON (key order, spacing); the value is the same.
    /// - Parameter forUpdate: lock the row (`SELECT … FOR UPDATE`) until the transaction ends, for
    ///   state that two transactions might update at once. Partitioning by UPN usually makes this
    ///   unnecessary.
    public func ruleState(scope: String, key: String, forUpdate: Bool = false) async throws -> Data? {
        try await self.map(
            """
            SELECT state::text AS state FROM rule_state WHERE scope = \(scope) AND key = \(key)
            \(unescaped: forUpdate ? "FOR UPDATE" : "")
            """,
            "load rule state"
        ) { row in Data(try row.get("state", as: String.self).utf8) }.first
    }

    /// The states of many keys in one scope, keyed by key (absent keys have no state).
    public func ruleStates(scope: String, keys: [String]) async throws -> [String: Data] {
        guard !keys.isEmpty else { return [:] }
        let pairs = try await self.map(
            "SELECT key, state::text AS state FROM rule_state WHERE scope = \(scope) AND key = ANY(\(keys)::text[])",
            "load rule states"
        ) { row in (try row.get("key", as: String.self), Data(try row.get("state", as: String.self).utf8)) }
        return Dictionary(pairs, uniquingKeysWith: { first, _ in first })
    }

    /// Stores (replaces) a rule's state. `state` must be valid UTF-8 JSON.
    public func setRuleState(scope: String, key: String, state: Data) async throws {
        let json = try JSONText.string(state)
        try await self.execute(
            """
            INSERT INTO rule_state (scope, key, state, updated_at) VALUES (\(scope), \(key), \(json)::jsonb, now())
            ON CONFLICT (scope, key) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at
            """,
            "save rule state"
        )
    }

    /// Deletes a rule's state. Returns whether there was one.
    @discardableResult
    public func deleteRuleState(scope: String, key: String) async throws -> Bool {
        try await self.count(
            "DELETE FROM rule_state WHERE scope = \(scope) AND key = \(key) RETURNING 1",
            "delete rule state"
        ) == 1
    }

    /// ``ruleState(scope:key:forUpdate:)`` decoded with `JSONDecoder` (dates as ISO 8601).
    public func ruleState<State: Decodable>(
        _ type: State.Type, scope: String, key: String, forUpdate: Bool = false
    )
        async throws -> State?
    {
        guard let data = try await self.ruleState(scope: scope, key: key, forUpdate: forUpdate) else { return nil }
        return try JSONText.decode(State.self, from: String(decoding: data, as: UTF8.self))
    }

    /// ``setRuleState(scope:key:state:)`` encoded with `JSONEncoder` (sorted keys, dates as ISO 8601).
    public func setRuleState<State: Encodable>(scope: String, key: String, _ value: State) async throws {
        try await self.setRuleState(scope: scope, key: key, state: Data(try JSONText.encode(value).utf8))
    }
}
