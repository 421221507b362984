extension Migration {
    /// `enforcement.decision.v1` gains the decision `penalty-notice-withdrawn` (events.md): a
    /// withdrawn notice no longer counts as a prior notice under `england-2024`. The column's
    /// check constraint (named by PostgreSQL when migration 1 declared it inline) is replaced by
    /// one that allows it.
    static let penaltyNoticeWithdrawn = Migration(
        version: 7,
        name: "penalty-notice-withdrawn",
        statements: [
            "ALTER TABLE enforcement_decisions DROP CONSTRAINT enforcement_decisions_decision_check",
            """
            ALTER TABLE enforcement_decisions ADD CONSTRAINT enforcement_decisions_decision_check CHECK (
                decision IN ('notice-to-improve-issued', 'penalty-notice-issued', 'prosecution-started', 'no-action',
                    'penalty-notice-withdrawn')
            )
            """,
        ]
    )
}
