/// PostgreSQL storage for frontdoor: migrations, repositories, the outbox, stored consumer
/// offsets and event idempotency.
///
/// Start with ``FrontDoorDatabase``: run its pool, ``FrontDoorDatabase/migrate(_:)``, then do each
/// consumed batch's work in one ``FrontDoorDatabase/withTransaction(readOnly:isolation:file:line:_:)``
/// using the ``StoreTransaction`` methods. Records are plain `Sendable` structs of standard types
/// (dates are ``StoreDate``), so this module depends on no domain type; workers map domain
/// values to records. Errors are ``StoreError``, whose descriptions never carry personal data.
public enum FrontDoorStore {
    /// The schema version this build migrates to.
    public static var schemaVersion: Int { Migration.all.last?.version ?? 0 }
}
