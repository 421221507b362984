import Foundation

/// A client of the gateway (`gateway_clients`): who it is and whether its key still opens the door.
/// Never holds the key, only what identifies the client.
public struct GatewayClientRecord: Sendable, Hashable {
    /// A lower-case label chosen by the operator (`mis-8862001`, `kent-police`); not personal data.
    public var id: String
    /// `"school"`, `"agency"` or `"officer-tool"`.
    public var kind: String
    /// The school's LAESTAB; `nil` for agencies and officers' tools.
    public var laestab: String?
    public var createdAt: Date
    public var rotatedAt: Date?
    public var revokedAt: Date?

    public init(
        id: String, kind: String, laestab: String?, createdAt: Date, rotatedAt: Date? = nil, revokedAt: Date? = nil
    ) {
        self.id = id
        self.kind = kind
        self.laestab = laestab
        self.createdAt = createdAt
        self.rotatedAt = rotatedAt
        self.revokedAt = revokedAt
    }
}
