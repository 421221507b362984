import FrontDoorDomain
import FrontDoorStore

/// A sender the gateway knows (`gateway_clients`), and what it may send.
///
/// - A **school** sends its own facts: `attendance.mark.v1`, `exclusion.issued.v1`,
///   `exclusion.rescinded.v1`, `roll.change.v1` and `referral.received.v1`, each with `source`
///   `urn:laestab:<its LAESTAB>` and `data.laestab` its LAESTAB (a referral may leave `laestab` out).
/// - An **agency** sends referrals only (`referral.received.v1`), with `source`
///   `urn:frontdoor:agency:<client id>`.
/// - An **officer tool** sends decisions and referral resolutions only (`enforcement.decision.v1`,
///   `referral.resolved.v1`), with `source` `urn:frontdoor:officer-tool:<client id>`.
///
/// Tying every source to its client means no client can send under another's `(source, id)`,
/// which would otherwise let it pre-empt that sender's events (the workers ignore a repeat).
public struct GatewayClient: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case school
        case agency
        case officerTool = "officer-tool"
    }

    public var id: String
    public var kind: Kind
    public var laestab: LAESTAB?

    public init(id: String, kind: Kind, laestab: LAESTAB?) {
        self.id = id
        self.kind = kind
        self.laestab = laestab
    }

    /// `nil` when the stored row does not make a client (an unknown kind, or a school without a LAESTAB).
    public init?(record: GatewayClientRecord) {
        guard let kind = Kind(rawValue: record.kind) else { return nil }
        let laestab = record.laestab.flatMap { try? LAESTAB(validating: $0) }
        guard (kind == .school) == (laestab != nil) else { return nil }
        self.init(id: record.id, kind: kind, laestab: laestab)
    }

    /// Client ids: lower-case letters, digits and hyphens, 1 to 63, starting with a letter or digit
    /// (the `gateway_clients.id` check); they appear in sources and the audit trail, so no names.
    public static func isValidID(_ id: String) -> Bool {
        (1...63).contains(id.utf8.count)
            && id.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
            && id.utf8.first != 0x2D
    }

    /// The one `source` this client's events must carry.
    public var source: String {
        switch kind {
        case .school: "urn:laestab:\(laestab?.value ?? "")"
        case .agency: "urn:frontdoor:agency:\(id)"
        case .officerTool: "urn:frontdoor:officer-tool:\(id)"
        }
    }

    /// The event types this client may send.
    public var permittedTypes: Set<EventType> {
        switch kind {
        case .school: [.attendanceMark, .exclusionIssued, .exclusionRescinded, .rollChange, .referralReceived]
        case .agency: [.referralReceived]
        case .officerTool: [.enforcementDecision, .referralResolved]
        }
    }

    /// Why this client may not send `event`, or `nil` when it may. The reason names attributes,
    /// never their values.
    public func denial(of event: InputEvent) -> String? {
        let envelope = event.envelope
        guard permittedTypes.contains(envelope.type) else {
            return "A client of kind \(kind.rawValue) may not send events of type \(envelope.type.rawValue)."
        }
        guard envelope.source == source else {
            return "Attribute source must be this client's own source."
        }
        guard kind == .school else { return nil }
        let dataLaestab: LAESTAB?
        switch event {
        case .attendanceMark(_, let m): dataLaestab = m.laestab
        case .exclusionIssued(_, let x): dataLaestab = x.laestab
        case .exclusionRescinded(_, let x): dataLaestab = x.laestab
        case .rollChange(_, let r): dataLaestab = r.laestab
        case .referralReceived(_, let r): dataLaestab = r.laestab ?? laestab
        case .referralResolved, .enforcementDecision: dataLaestab = nil
        }
        guard dataLaestab == laestab else { return "Field data.laestab must be this school's own LAESTAB." }
        return nil
    }
}
