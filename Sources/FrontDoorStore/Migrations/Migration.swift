/// One versioned step of frontdoor's schema.
///
/// A migration is a list of SQL statements run in order inside one transaction together with
/// the row that records it in `schema_migrations`, so it is applied entirely or not at all.
/// (PostgreSQL's extended query protocol, which PostgresNIO uses, runs one statement per
/// query, hence a list rather than one script.) Never edit a released migration: add one.
public struct Migration: Sendable, Hashable {
    /// Position in the sequence, starting at 1 and increasing (gaps allowed).
    public let version: Int
    /// A short kebab-case name, e.g. `"initial-schema"`.
    public let name: String
    /// The statements, run in order.
    public let statements: [String]

    /// Creates a migration.
    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}
