import Foundation
import FrontDoorDomain

/// The CloudEvents HTTP protocol binding (version 1.0) as the gateway reads it: how a request's
/// content type and headers say which mode it is in, and how its body becomes the values and
/// Kafka-style headers that ``EventDecoder`` — the workers' own decoder — validates.
public enum CloudEventsHTTP {
    public static let structuredMediaType = "application/cloudevents+json"
    public static let batchMediaType = "application/cloudevents-batch+json"

    /// How a request carries its events.
    public enum Mode: String, Sendable, Hashable {
        /// The body is one event (`application/cloudevents+json`).
        case structured
        /// Attributes in `ce-*` headers, the body is `data` (any content type; JSON is the only one accepted).
        case binary
        /// The body is a JSON array of structured events (`application/cloudevents-batch+json`).
        case batched
    }

    /// One event as the decoder sees it: a Kafka-style value and headers.
    public struct Candidate: Sendable {
        public var value: [UInt8]
        public var headers: [(key: String, value: [UInt8]?)]
    }

    /// The mode a request is in, from its `content-type` and whether it has a `ce-specversion`
    /// header; `nil` when it is none of the three (answered `415`).
    public static func mode(contentType: String?, hasSpecversionHeader: Bool) -> Mode? {
        let media = contentType.map(mediaType) ?? ""
        if media == batchMediaType { return .batched }
        if media == structuredMediaType { return .structured }
        if hasSpecversionHeader { return .binary }
        return nil
    }

    /// The lower-cased media type without parameters (`application/cloudevents+json; charset=utf-8`
    /// → `application/cloudevents+json`).
    public static func mediaType(_ contentType: String) -> String {
        contentType.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    /// A binary-mode request as a Kafka binary-mode record: each `ce-<name>` header becomes
    /// `ce_<name>` and `content-type` stays, so the decoder applies exactly the rules it applies
    /// to a record from the broker.
    ///
    /// The HTTP binding (§3.1.3.2) percent-encodes a `ce-*` value's space, `"`, `%` and every
    /// character outside printable ASCII, so the value is percent-decoded (as UTF-8) first; a
    /// value whose `%` starts no valid escape stays as sent, and the decoder judges it.
    public static func binaryCandidate(headers: [(name: String, value: String)], body: [UInt8]) -> Candidate {
        var out: [(key: String, value: [UInt8]?)] = []
        for h in headers {
            let name = h.name.lowercased()
            if name.hasPrefix("ce-") {
                let value = h.value.removingPercentEncoding ?? h.value
                out.append((key: "ce_" + name.dropFirst(3), value: Array(value.utf8)))
            } else if name == "content-type" {
                out.append((key: "content-type", value: Array(h.value.utf8)))
            }
        }
        return Candidate(value: body, headers: out)
    }

    /// The structured-mode event (what frontdoor writes to Kafka) of a binary-mode request the
    /// decoder accepted: the `ce-*` attributes as JSON strings, and the body as `data`.
    /// `datacontenttype` is left out: `data` is JSON, which structured mode implies.
    public static func structuredValue(ofBinary candidate: Candidate) -> [UInt8] {
        var out: [UInt8] = Array("{".utf8)
        var first = true
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        for h in candidate.headers where h.key.hasPrefix("ce_") {
            guard let value = h.value, let text = String(validating: value, as: UTF8.self) else { continue }
            guard let name = try? encoder.encode(String(h.key.dropFirst(3))), let json = try? encoder.encode(text) else { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out += name
            out.append(UInt8(ascii: ":"))
            out += json
        }
        if !first { out.append(UInt8(ascii: ",")) }
        out += Array("\"data\":".utf8)
        out += candidate.value
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The elements of a JSON array, as the byte ranges of the body they occupy (whitespace
    /// around each trimmed), so each event is decoded — and published — byte for byte as sent.
    ///
    /// Only the array's structure is checked here (brackets, strings and escapes balanced, no
    /// text after it); each element is then validated in full by the decoder. Returns `nil` when
    /// the body is not a JSON array.
    public static func splitBatch(_ body: [UInt8]) -> [ArraySlice<UInt8>]? {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }
        var i = 0
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while i < body.count, isSpace(body[i]) { i += 1 }
        guard i < body.count, body[i] == UInt8(ascii: "[") else { return nil }
        i += 1
        var elements: [ArraySlice<UInt8>] = []
        var depth = 0
        var start = i
        var inString = false
        var escaped = false
        func trimmed(_ from: Int, _ to: Int) -> ArraySlice<UInt8> {
            var a = from
            var b = to
            while a < b, isSpace(body[a]) { a += 1 }
            while b > a, isSpace(body[b - 1]) { b -= 1 }
            return body[a..<b]
        }
        while i < body.count {
            let b = body[i]
            if inString {
                if escaped {
                    escaped = false
                } else if b == UInt8(ascii: "\\") {
                    escaped = true
                } else if b == UInt8(ascii: "\"") {
                    inString = false
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                guard depth <= 64 else { return nil }
            case UInt8(ascii: "}"):
                depth -= 1
                guard depth >= 0 else { return nil }
            case UInt8(ascii: "]"):
                if depth == 0 {
                    // The array's end.
                    let last = trimmed(start, i)
                    if !last.isEmpty || !elements.isEmpty { elements.append(last) }
                    i += 1
                    while i < body.count, isSpace(body[i]) { i += 1 }
                    return i == body.count ? elements : nil
                }
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 0 {
                    elements.append(trimmed(start, i))
                    start = i + 1
                }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
