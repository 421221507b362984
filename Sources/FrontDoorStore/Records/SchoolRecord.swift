/// A school from the configured register (`Config/schools.csv`).
public struct SchoolRecord: Sendable, Hashable {
    public var laestab: String
    public var name: String
    /// `"primary"`, `"secondary"`, `"all-through"`, `"special"` or `"pru"`.
    public var phase: String
    public var district: String

    public init(laestab: String, name: String, phase: String, district: String) {
        self.laestab = laestab
        self.name = name
        self.phase = phase
        self.district = district
    }
}
