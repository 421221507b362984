import Foundation
import Testing

@testable import FrontDoorDomain

/// Issue 10, item 3: the decoder's and the packed state's checks on bytes (`ByteText`, the
/// parser's member arrays) give exactly the answers of the `String`, `Dictionary` and
/// validator code they replace. Each property runs the fast check beside the general one on
/// inputs built to sit on the edges (case, spaces, non-ASCII, wrong check letters, lengths).
@Suite("Decoder on bytes: the fast checks agree with the general ones (events.md Identifiers, Envelope; issue 10)")
struct DecoderBytesTests {
    static let calendar = EventDecoderTests.calendar

    /// `n` characters drawn from digits, upper- and lower-case letters, spaces and a few non-ASCII ones.
    static func noise(_ n: Int, _ rng: inout SplitMix) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcxyz \t-é\u{00A0}\u{0301}\u{212A}")
        return String((0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    /// Valid UPNs (permanent and temporary), then each with one character changed, lower-cased
    /// or padded, then noise of about the right length.
    static func upnCandidates() -> [String] {
        var rng = SplitMix(seed: 103)
        var out: [String] = []
        let letters = Array("ABCDEFGHJKLMNPQRTUVWXYZ")
        for k in 0..<400 {
            // LA, establishment, year, serial, then a digit (permanent) or a letter (temporary).
            let last = k % 5 == 0 ? String(letters[k % 23]) : String(k % 10)
            let body = String(format: "%03d%04d26%02d", 201 + Int(rng.next() % 790), Int(rng.next() % 10_000), k % 100) + last
            guard let check = UPN.checkLetter(forBody: body) else { continue }
            let upn = "\(check)\(body)"
            out.append(upn)
            out.append(upn.lowercased())
            out.append(" \(upn)")
            var chars = Array(upn)
            chars[Int(rng.next() % 13)] = Array("0123456789AIOSZé ")[Int(rng.next() % 17)]
            out.append(String(chars))
        }
        for n in [11, 12, 13, 13, 13, 14] {
            for _ in 0..<200 { out.append(noise(n, &rng)) }
        }
        return out
    }

    @Test("A UPN on bytes: accepted exactly when UPN(validating:) keeps it unchanged; every other input goes to the general validator")
    func upnFastPathAgrees() {
        var canonical = 0
        for s in Self.upnCandidates() {
            let general = try? UPN(validating: s)
            if let fast = UPN(canonical: s) {
                canonical += 1
                #expect(general?.value == s && fast == general, "\(s)")
                #expect(UPN(canonicalUTF8: Array(s.utf8)[...]) == fast)
            } else {
                // Only inputs the general validator changes (case, spaces) or refuses are left to it.
                #expect(general == nil || general?.value != s, "\(s)")
                #expect(UPN(canonicalUTF8: Array(s.utf8)[...]) == nil)
            }
        }
        // The fast path is taken for the stored form (most of the valid candidates).
        #expect(canonical >= 300)
    }

    @Test("A LAESTAB on bytes: 7 ASCII digits, as LAESTAB(validating:) accepts unchanged")
    func laestabFastPathAgrees() {
        var rng = SplitMix(seed: 7)
        var candidates = ["8862001", " 886200", "886200 ", "886200", "88620011", "８８６２００１", "886200a", "886\u{0301}2001"]
        for n in 5...9 { for _ in 0..<200 { candidates.append(Self.noise(n, &rng)) } }
        for n in 6...8 { for _ in 0..<200 { candidates.append(String((0..<n).map { _ in Character(String(rng.next() % 10)) })) } }
        for s in candidates {
            let general = try? LAESTAB(validating: s)
            if let fast = LAESTAB(canonical: s) {
                #expect(general?.value == s && fast == general, "\(s)")
            } else {
                #expect(general == nil || general?.value != s, "\(s)")
            }
            #expect(LAESTAB(canonicalUTF8: Array(s.utf8)[...]) == LAESTAB(canonical: s))
        }
    }

    @Test("Scalar counts, control characters and dates on bytes match unicodeScalars and LocalDate(iso:)")
    func textChecksAgree() {
        var rng = SplitMix(seed: 42)
        let alphabet = Array("a0-\u{0}\u{1F} \u{7F}\u{80}é\u{0301}\u{1F600}\u{FEFF}\u{2028}")
        for _ in 0..<2000 {
            let s = String((0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
            #expect(ByteText.scalarCount(s) == s.unicodeScalars.count)
            #expect(ByteText.containsControlCharacter(s) == s.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
            #expect(ByteText.hasNoSpaceOrControl(s) == s.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F })
            #expect(ByteText.string(Array(s.utf8)[...]) == s)
        }
        let digits = Array("0123456789-")
        for _ in 0..<3000 {
            let s = String((0..<(9 + Int(rng.next() % 3))).map { _ in digits[Int(rng.next() % 11)] })
            let shaped = rng.next() % 2 == 0 ? s : "20\(s.dropFirst(2).prefix(2))-0\(rng.next() % 10)-\(rng.next() % 4)\(rng.next() % 10)"
            #expect(RFC3339.date(shaped) == LocalDate(iso: shaped), "\(shaped)")
        }
        #expect(ByteText.string([0x61, 0xC3][...]) == nil)
        #expect(ByteText.isUTF8(Array("ok é".utf8)) && !ByteText.isUTF8([0x7B, 0xFF, 0x7D]))
    }

    // MARK: Objects as member arrays

    /// A structured mark with `extra` members added to `data` before its own.
    static func mark(dataPrefix: String) -> [UInt8] {
        Array(
            """
            {"specversion":"1.0","id":"x","source":"urn:laestab:8862001","type":"attendance.mark.v1",\
            "time":"2026-09-14T09:05:12Z","data":{\(dataPrefix)"upn":"N886200126001","laestab":"8862001",\
            "date":"2026-09-14","session":"AM","code":"/"}}
            """.utf8)
    }

    @Test("A duplicate member name is invalid-json wherever it is: among the first members, past the sixteenth, or spelt in another normal form")
    func duplicateNames() throws {
        let ok = EventDecoder.decode(structured: Self.mark(dataPrefix: ""), calendar: Self.calendar)
        #expect(throws: Never.self) { try ok.get() }
        // 40 distinct extra names: not a duplicate, but unknown fields.
        let many = (0..<40).map { "\"f\($0)\":\($0)," }.joined()
        #expect(
            DecoderHardeningTests.reject(EventDecoder.decode(structured: Self.mark(dataPrefix: many), calendar: Self.calendar))?.code == .unknownField
        )
        for prefix in [
            "\"upn\":1,",  // duplicate of a later member, among the first sixteen
            many + "\"f3\":1,",  // past the linear search: the set finds it
            many + "\"code\":1,",
            "\"caf\u{E9}\":1,\"cafe\u{0301}\":2,",  // é precomposed and decomposed are one name, as Dictionary judged
        ] {
            let r = DecoderHardeningTests.reject(EventDecoder.decode(structured: Self.mark(dataPrefix: prefix), calendar: Self.calendar))
            #expect(r?.code == .invalidJSON && r?.message == "The value is not valid JSON (duplicate member name).", "\(prefix.prefix(20))")
        }
        // 20,000 members (near the size bound), the duplicate last: the set finds it in one pass.
        let huge = (0..<20_000).map { "\"m\($0)\":0," }.joined()
        #expect(
            DecoderHardeningTests.reject(EventDecoder.decode(structured: Self.mark(dataPrefix: huge + "\"m7\":1,"), calendar: Self.calendar))?.message
                == "The value is not valid JSON (duplicate member name).")
    }

    @Test("Two faulty extension attributes: the reject names the first in the event's order, not in a hash's order")
    func extensionFaultsInOrder() {
        func event(_ extensions: String) -> [UInt8] {
            Array(
                """
                {"specversion":"1.0","id":"x","source":"s","type":"attendance.mark.v1","time":"2026-09-14T09:05:12Z",\
                \(extensions)"data":{"upn":"N886200126001","laestab":"8862001","date":"2026-09-14","session":"AM","code":"/"}}
                """.utf8)
        }
        // The switch that replaced the set's lookup names the same attributes.
        #expect(EventDecoder.knownAttributes.allSatisfy(EventDecoder.isKnownAttribute))
        #expect(!["data", "Id", "ids", "", "dataschema2", "comexampleextension1"].contains(where: EventDecoder.isKnownAttribute))
        let badName = "The event has a member that is not a valid CloudEvents attribute name (lower-case letters and digits, at most 20)."
        let badValue = "An extension attribute must be a string, an integer or a boolean."
        // A dictionary gave one of the two for both orders (whichever its hash put first).
        #expect(
            DecoderHardeningTests.reject(EventDecoder.decode(structured: event("\"Bad\":1,\"obj\":{},"), calendar: Self.calendar))?.message == badName
        )
        #expect(
            DecoderHardeningTests.reject(EventDecoder.decode(structured: event("\"obj\":{},\"Bad\":1,"), calendar: Self.calendar))?.message
                == badValue)
    }
}
