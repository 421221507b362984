import Crypto
import Foundation

/// A client's API key: 32 random bytes, written `fdk_` then 64 lower-case hex digits, sent as
/// `Authorization: Bearer <key>`. Only its SHA-256 is stored (``sha256Hex``), so a copy of the
/// database opens no door.
public struct ClientKey: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "fdk_"
    /// The key's 32 bytes.
    public let bytes: [UInt8]

    /// A new key from the system's secure random source.
    public static func generate() -> ClientKey {
        var generator = SystemRandomNumberGenerator()
        return ClientKey(bytes: (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses `fdk_<64 hex digits>`; `nil` for anything else.
    public init?(text: some StringProtocol) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let hex = Array(text.utf8.dropFirst(Self.prefix.utf8.count))
        guard hex.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var i = 0
        while i < 64 {
            guard let hi = Self.nibble(hex[i]), let lo = Self.nibble(hex[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        self.bytes = bytes
    }

    /// The key from an `Authorization: Bearer <key>` header value; `nil` when it is not one.
    public init?(authorization: String) {
        let parts = authorization.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        self.init(text: parts[1])
    }

    /// `fdk_…`: what the client sends. Printed once, by `frontdoor clients add` and `rotate`.
    public var text: String { Self.prefix + Self.hex(bytes) }

    /// The SHA-256 of the key's 32 bytes, lower-case hex: what `gateway_clients.key_sha256` holds.
    public var sha256Hex: String { Self.hex(Array(SHA256.hash(data: bytes))) }

    /// Never the key itself (it must not reach a log by accident).
    public var description: String { "ClientKey(…)" }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
