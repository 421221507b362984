import Foundation
import FrontDoorStore

/// The `audit_log` rows the governance commands write about themselves: rule `governance`,
/// decision `purge`, `export` or `audit`, the subject as a pseudonym or case id, no personal data.
public enum GovernanceAudit {
    public static let rule = "governance"

    public static func entry(decision: String, subjectRef: String, figures: [String: Any] = [:]) -> AuditEntry {
        let json = (try? JSONSerialization.data(withJSONObject: figures, options: [.sortedKeys])) ?? Data("{}".utf8)
        return AuditEntry(rule: rule, subjectRef: subjectRef, decision: decision, figuresJSON: json)
    }
}
