import FrontDoorStore

/// The store's audit row. Both the domain and the store have an `AuditEntry`, and the store
/// module also has a namespace enum named like the module, so the store's type gets a name
/// of its own here (this file imports only the store).
typealias StoreAuditEntry = AuditEntry
