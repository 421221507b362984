import Foundation

/// A UPN as the `int8` the mark log stores (migration 9), the same number as SQL's
/// `frontdoor_upn_key(text)`; `frontdoor_upn_text(int8)` and ``text(_:)`` turn it back.
///
/// A UPN is a letter, eleven digits and a digit or letter: `(digits × 36 + last) × 26 + first`,
/// with `last` 0–9 for a digit, 10–35 for A–Z, and `first` 0–25 for A–Z. Order is not kept (the
/// store never orders by UPN text).
public enum UPNKey {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    /// The key of an upper-case UPN, or `nil` for a string of another shape.
    public static func key(_ upn: String) -> Int64? {
        var utf8 = upn.utf8.makeIterator()
        guard let first = utf8.next(), (65...90).contains(first) else { return nil }
        var digits: Int64 = 0
        for _ in 0..<11 {
            guard let d = utf8.next(), (48...57).contains(d) else { return nil }
            digits = digits * 10 + Int64(d - 48)
        }
        guard let last = utf8.next(), utf8.next() == nil else { return nil }
        let lastValue: Int64
        switch last {
        case 48...57: lastValue = Int64(last - 48)
        case 65...90: lastValue = Int64(last - 65 + 10)
        default: return nil
        }
        return (digits * 36 + lastValue) * 26 + Int64(first - 65)
    }

    /// The UPN of a key made by ``key(_:)``.
    public static func text(_ key: Int64) -> String {
        let first = UInt8(65 + key % 26)
        let last = Self.alphabet[Int((key / 26) % 36)]
        var digits = String(key / 936)
        if digits.count < 11 { digits = String(repeating: "0", count: 11 - digits.count) + digits }
        return String(decoding: [first], as: UTF8.self) + digits + String(decoding: [last], as: UTF8.self)
    }
}

/// The mark log's one-byte forms of ``MarkRecord``'s text fields (migration 9).
enum MarkLogCodes {
    /// `"present"` … as `"char"`: p, a, A, u, n.
    static func category(_ text: String) -> String? {
        switch text {
        case "present": "p"
        case "attending": "a"
        case "authorised": "A"
        case "unauthorised": "u"
        case "not-counted": "n"
        default: nil
        }
    }

    /// `"AM"` / `"PM"` as `"char"`: A, P.
    static func session(_ text: String) -> String? {
        switch text {
        case "AM": "A"
        case "PM": "P"
        default: nil
        }
    }

    /// The id as a `uuid` when it is one in the canonical lower-case form (so that reading it
    /// back gives the same string), else `nil` (stored as text).
    static func canonicalUUID(_ id: String) -> UUID? {
        guard id.utf8.count == 36, let uuid = UUID(uuidString: id), uuid.uuidString.lowercased() == id else { return nil }
        return uuid
    }
}
