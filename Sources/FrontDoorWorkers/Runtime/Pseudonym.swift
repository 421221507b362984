import Crypto
import Foundation

/// Keyed pseudonyms of UPNs for screens, logs and `audit_log.subject_ref`.
///
/// - A pseudonym is HMAC-SHA256 of the upper-cased UPN under the deployment's secret
///   `FRONTDOOR_PSEUDONYM_KEY`, truncated to its first 16 bytes (128 bits) and written as 32
///   lower-case hex digits. Without the key it cannot be reversed by trying a school's UPNs.
/// - 128 bits: the chance that any two of England's ~10^7 pupils share one is below 10^-24.
/// - The key is hex: at least 64 hex digits (32 bytes), e.g. `openssl rand -hex 32`. Anything
///   else is refused, so a short or mistyped key stops a process rather than weakening it.
/// - The same key gives the same pseudonym in every process and run; another key gives
///   unrelated ones (rotating the key breaks the link to older audit rows, see operations.md).
public struct Pseudonymiser: Sendable {
    /// The environment variable holding the key.
    public static let environmentVariable = "FRONTDOOR_PSEUDONYM_KEY"
    /// The fewest key bytes accepted.
    public static let minimumKeyBytes = 32
    /// Bytes of the HMAC kept.
    public static let pseudonymBytes = 16

    private let key: SymmetricKey

    /// Why a key is refused; the description never holds the key.
    public enum KeyError: Error, CustomStringConvertible, Sendable {
        case missing
        case invalid(reason: String)

        public var description: String {
            switch self {
            case .missing:
                "\(Pseudonymiser.environmentVariable) is not set: pseudonyms need a deployment secret of at least "
                    + "\(Pseudonymiser.minimumKeyBytes) bytes in hex (e.g. `openssl rand -hex 32`); see docs/operations.md"
            case .invalid(let reason):
                "\(Pseudonymiser.environmentVariable) is not a usable key: \(reason); it must be at least "
                    + "\(Pseudonymiser.minimumKeyBytes * 2) hex digits (e.g. `openssl rand -hex 32`)"
            }
        }
    }

    /// A pseudonymiser under `key` (raw bytes, at least ``minimumKeyBytes``).
    public init(keyBytes: [UInt8]) throws(KeyError) {
        guard keyBytes.count >= Self.minimumKeyBytes else {
            throw .invalid(reason: "\(keyBytes.count) bytes, fewer than \(Self.minimumKeyBytes)")
        }
        key = SymmetricKey(data: keyBytes)
    }

    /// A pseudonymiser under a hex key (see the type's documentation).
    public init(hexKey: String) throws(KeyError) {
        let text = hexKey.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count.isMultiple(of: 2) else { throw .invalid(reason: "an odd number of hex digits") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { throw .invalid(reason: "not hex") }
            bytes.append(byte)
            index = next
        }
        try self.init(keyBytes: bytes)
    }

    /// The pseudonymiser of an environment's `FRONTDOOR_PSEUDONYM_KEY`.
    ///
    /// - Throws: ``KeyError/missing`` when unset or empty, ``KeyError/invalid(reason:)`` when unusable.
    public init(environment: [String: String]) throws(KeyError) {
        guard let v = environment[Self.environmentVariable], !v.isEmpty else { throw .missing }
        try self.init(hexKey: v)
    }

    /// A pseudonymiser under a random key of this process only: its pseudonyms match nothing
    /// written by any other process. For in-process use without a configured key (tests, tools).
    public static func ephemeral() -> Pseudonymiser {
        Pseudonymiser(unchecked: SymmetricKey(size: .bits256))
    }

    private init(unchecked key: SymmetricKey) { self.key = key }

    /// The pseudonym of a UPN: 32 hex digits (128 bits of HMAC-SHA256 under the key).
    public func pseudonym(_ upn: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(upn.uppercased().utf8), using: key)
        return mac.prefix(Self.pseudonymBytes).map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
    }

    /// `pupil:<pseudonym>`, the form used in `watch` output and `audit_log.subject_ref`.
    public func subjectRef(_ upn: String) -> String { "pupil:" + pseudonym(upn) }
}
