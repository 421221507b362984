import Foundation
import FrontDoorDomain

/// One human line for a published notification: unit, kind, priority, due date and a
/// pseudonymised pupil (``Pseudonymiser/subjectRef(_:)``, keyed). Never a name or a UPN.
public enum NotificationLine {
    public static func format(topic: String, value: [UInt8], pseudonyms: Pseudonymiser) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any],
            let data = object["data"] as? [String: Any]
        else { return "\(topic): (unreadable notification)" }
        let pupil = (data["upn"] as? String).map { pseudonyms.subjectRef($0) } ?? "pupil:(no UPN)"
        if object["type"] as? String == "enforcement.review.v1" {
            let action = data["recommendedAction"] as? String ?? "?"
            let basis = data["basis"] as? String ?? "?"
            return "enforcement  \(pad("review", 22)) \(pad(action, 8)) basis=\(basis) \(pupil)"
        }
        let unit = data["unitId"] as? String ?? "?"
        let kind = data["kind"] as? String ?? "?"
        let priority = data["priority"] as? String ?? "?"
        let due = data["dueBy"] as? String ?? "?"
        return "\(pad(unit, 12)) \(pad(kind, 22)) \(pad(priority, 8)) due \(due) \(pupil)"
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
}
