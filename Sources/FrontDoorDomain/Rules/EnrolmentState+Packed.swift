/// The stored form of an ``EnrolmentState`` (issue 10): a compact binary encoding the
/// attendance worker reads and writes for every enrolment a batch touches.
///
/// The JSON form (``EnrolmentState``'s `Codable`) took about half the worker's time on a
/// late-year morning (Foundation's encoder and decoder over twenty window marks per state) and
/// about 2.5 KB a state; this one is a few hundred bytes and a single pass each way.
///
/// Layout, version 1: the version byte, then fields in order (the enrolment, the first year, the
/// checkpoint's absence and CME folds, the tip's when there is one, the window, the digest), integers as LEB128 varints
/// (signed ones zig-zag encoded), strings as a varint length and UTF-8, optionals as a 0/1 byte
/// and the value. A window mark's event id is 16 bytes when it is a canonical lower-case UUID
/// (what MIS vendors send), else a string. Decoding validates every value as the JSON form
/// does (UPN, LAESTAB, each code on its date) and throws ``PackedStateError`` on anything
/// else, so a damaged row is recomputed from the stored marks, never trusted.
extension EnrolmentState {
    /// The current layout's version byte.
    public static let packedVersion: UInt8 = 1

    /// The state in its stored binary form.
    public func packed() -> [UInt8] {
        var w = PackedWriter()
        // About 30 bytes a window mark, the counts and the digest: one allocation, no regrowth.
        w.bytes.reserveCapacity(256 + window.count * 40 + inputsDigest.utf8.count)
        w.byte(Self.packedVersion)
        w.string(enrolment.upn.value)
        w.string(enrolment.laestab.value)
        w.int(firstYear.startYear)
        w.absence(absence)
        w.cme(cme)
        w.optional(tip) { w, tip in
            w.absence(tip.absence)
            w.cme(tip.cme)
        }
        w.int(window.count)
        var previousDay = 0
        for m in window {
            // Days as the difference from the mark before: one byte for a window of days.
            let day = m.date.daysSinceEpoch
            w.int(day &- previousDay)
            previousDay = day
            w.byte(m.session == .am ? 0 : 1)
            w.string(m.code.code)
            w.int64(EnrolmentFold.microseconds(m.time))
            if let uuid = PackedUUID.bytes(m.eventId) {
                w.byte(0)
                withUnsafeBytes(of: uuid.high.bigEndian) { w.bytes.append(contentsOf: $0) }
                withUnsafeBytes(of: uuid.low.bigEndian) { w.bytes.append(contentsOf: $0) }
            } else {
                w.byte(1)
                w.string(m.eventId)
            }
            w.optional(m.minutesLate) { $0.int($1) }
        }
        w.string(inputsDigest)
        return w.bytes
    }

    /// Reads a state ``packed()`` wrote.
    public init(packed bytes: [UInt8]) throws(PackedStateError) {
        var r = PackedReader(bytes: bytes)
        guard try r.byte() == Self.packedVersion else { throw PackedStateError("unknown version") }
        let upn: UPN
        let laestab: LAESTAB
        do {
            // Stored upper case, so the byte check almost always decides; anything else goes
            // through the general validators, as before.
            let upnBytes = try r.stringBytes()
            if let u = UPN(canonicalUTF8: upnBytes) { upn = u } else { upn = try UPN(validating: try r.text(upnBytes)) }
            let laestabBytes = try r.stringBytes()
            if let l = LAESTAB(canonicalUTF8: laestabBytes) {
                laestab = l
            } else {
                laestab = try LAESTAB(validating: try r.text(laestabBytes))
            }
        } catch let e as PackedStateError {
            throw e
        } catch {
            throw PackedStateError("the enrolment does not validate")
        }
        let enrolment = Enrolment(upn: upn, laestab: laestab)
        let firstYear = AcademicYear(startYear: try r.year())
        let absence = try r.absence()
        let cme = try r.cme()
        let tip = try r.optional { r throws(PackedStateError) in
            EnrolmentState.Tip(absence: try r.absence(), cme: try r.cme())
        }
        let count = try r.count()
        guard count <= r.remaining else { throw PackedStateError("window longer than the data") }
        var window: [CountedMark] = []
        window.reserveCapacity(count)
        var previousDay = 0
        for _ in 0..<count {
            let delta = try r.int()
            guard abs(delta) <= PackedReader.maxDays else { throw PackedStateError("a date out of range") }
            let day = previousDay + delta
            guard abs(day) <= PackedReader.maxDays else { throw PackedStateError("a date out of range") }
            previousDay = day
            let date = LocalDate(daysSinceEpoch: day)
            let session: Session
            switch try r.byte() {
            case 0: session = .am
            case 1: session = .pm
            default: throw PackedStateError("a session that is neither AM nor PM")
            }
            guard let code = RegisterCode(try r.string(), on: date) else {
                throw PackedStateError("a window mark's code is not valid on its date")
            }
            let time = EnrolmentFold.date(microseconds: try r.int64())
            let eventId: String
            switch try r.byte() {
            case 0: eventId = PackedUUID.string(try r.take(16))
            case 1: eventId = try r.string()
            default: throw PackedStateError("an event id of an unknown kind")
            }
            let minutesLate = try r.optional { r throws(PackedStateError) in try r.int() }
            window.append(
                CountedMark(
                    slot: MarkSlot(upn: upn, laestab: laestab, date: date, session: session), code: code, time: time,
                    eventId: eventId, minutesLate: minutesLate))
        }
        let digest = try r.string()
        guard r.remaining == 0 else { throw PackedStateError("bytes after the state") }
        self.init(
            enrolment: enrolment, firstYear: firstYear, absence: absence, cme: cme, window: window, inputsDigest: digest,
            tip: tip)
    }
}

/// A stored state that does not decode (``EnrolmentState/init(packed:)``); the reason names
/// the field, never a value.
public struct PackedStateError: Error, Hashable, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

struct PackedWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func uint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func int64(_ v: Int64) { uint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    mutating func int(_ v: Int) { int64(Int64(v)) }
    mutating func bool(_ b: Bool) { bytes.append(b ? 1 : 0) }

    mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            uint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func optional<T>(_ value: T?, _ write: (inout PackedWriter, T) -> Void) {
        if let value {
            bytes.append(1)
            write(&self, value)
        } else {
            bytes.append(0)
        }
    }

    mutating func counts(_ d: [String: Int]) {
        int(d.count)
        // Sorted, so one state always packs to the same bytes.
        for (k, v) in d.sorted(by: { $0.key < $1.key }) {
            string(k)
            int(v)
        }
    }

    mutating func cme(_ c: CMERiskFold) {
        int(c.runLength)
        optional(c.runStart) { $0.int($1.daysSinceEpoch) }
        optional(c.year) { $0.int($1.startYear) }
        int(c.runs)
    }

    mutating func absence(_ a: PersistentAbsenceFold) {
        optional(a.statistics) { w, s in
            w.int(s.academicYear.startYear)
            // Each in turn, not through an array literal (an allocation per state).
            w.int(s.possible)
            w.int(s.present)
            w.int(s.attending)
            w.int(s.authorised)
            w.int(s.unauthorised)
            w.int(s.notCounted)
            w.counts(s.sessionsByCode)
            w.counts(s.absenceByReason)
        }
        int(a.day)
        optional(a.lastDate) { $0.int($1.daysSinceEpoch) }
        episodes(a.persistent)
        episodes(a.severe)
    }

    mutating func episodes(_ e: PersistentAbsenceFold.Episodes) {
        int(e.ordinals)
        bool(e.open)
        optional(e.leftOnDay) { $0.int($1) }
    }
}

struct PackedReader {
    /// Dates within about ±27,000 years of 1970, far beyond any register; years likewise.
    static let maxDays = 10_000_000
    static let maxYear = 30_000

    let bytes: [UInt8]
    var index = 0

    var remaining: Int { bytes.count - index }

    mutating func byte() throws(PackedStateError) -> UInt8 {
        guard index < bytes.count else { throw PackedStateError("the state ends early") }
        defer { index += 1 }
        return bytes[index]
    }

    mutating func take(_ n: Int) throws(PackedStateError) -> ArraySlice<UInt8> {
        guard n >= 0, n <= remaining else { throw PackedStateError("the state ends early") }
        defer { index += n }
        return bytes[index..<(index + n)]
    }

    mutating func uint() throws(PackedStateError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            guard shift < 64 else { throw PackedStateError("a number too long") }
            value |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func int64() throws(PackedStateError) -> Int64 {
        let u = try uint()
        return Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1)))
    }

    /// A signed number within ±2^53 (what a count, a day or a year can be).
    mutating func int() throws(PackedStateError) -> Int {
        let v = try int64()
        guard v.magnitude <= 1 << 53 else { throw PackedStateError("a number out of range") }
        return Int(v)
    }

    /// A count: not negative.
    mutating func count() throws(PackedStateError) -> Int {
        let v = try int()
        guard v >= 0 else { throw PackedStateError("a negative count") }
        return v
    }

    mutating func year() throws(PackedStateError) -> Int {
        let y = try int()
        guard abs(y) <= Self.maxYear else { throw PackedStateError("a year out of range") }
        return y
    }

    mutating func date() throws(PackedStateError) -> LocalDate {
        let d = try int()
        guard abs(d) <= Self.maxDays else { throw PackedStateError("a date out of range") }
        return LocalDate(daysSinceEpoch: d)
    }

    mutating func bool() throws(PackedStateError) -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        default: throw PackedStateError("a flag that is neither 0 nor 1")
        }
    }

    mutating func string() throws(PackedStateError) -> String {
        try text(try stringBytes())
    }

    /// A string's bytes, not yet checked to be UTF-8.
    mutating func stringBytes() throws(PackedStateError) -> ArraySlice<UInt8> {
        let n = try uint()
        guard n <= UInt64(remaining) else { throw PackedStateError("a string longer than the data") }
        return try take(Int(n))
    }

    /// `bytes` as text, when they are UTF-8.
    func text(_ bytes: ArraySlice<UInt8>) throws(PackedStateError) -> String {
        guard let s = ByteText.string(bytes) else { throw PackedStateError("a string that is not UTF-8") }
        return s
    }

    mutating func optional<T>(_ read: (inout PackedReader) throws(PackedStateError) -> T) throws(PackedStateError) -> T? {
        try bool() ? try read(&self) : nil
    }

    mutating func counts() throws(PackedStateError) -> [String: Int] {
        let n = try count()
        guard n <= remaining else { throw PackedStateError("more counts than the data") }
        var d = [String: Int](minimumCapacity: n)
        for _ in 0..<n {
            let k = try string()
            d[k] = try count()
        }
        return d
    }

    mutating func cme() throws(PackedStateError) -> CMERiskFold {
        var c = CMERiskFold()
        c.runLength = try count()
        c.runStart = try optional { r throws(PackedStateError) in try r.date() }
        c.year = try optional { r throws(PackedStateError) in AcademicYear(startYear: try r.year()) }
        c.runs = try count()
        return c
    }

    mutating func absence() throws(PackedStateError) -> PersistentAbsenceFold {
        var a = PersistentAbsenceFold()
        a.statistics = try optional { r throws(PackedStateError) in
            var s = AttendanceStatistics(academicYear: AcademicYear(startYear: try r.year()))
            s.possible = try r.count()
            s.present = try r.count()
            s.attending = try r.count()
            s.authorised = try r.count()
            s.unauthorised = try r.count()
            s.notCounted = try r.count()
            s.sessionsByCode = try r.counts()
            s.absenceByReason = try r.counts()
            return s
        }
        a.day = try count()
        a.lastDate = try optional { r throws(PackedStateError) in try r.date() }
        a.persistent = try episodes()
        a.severe = try episodes()
        return a
    }

    mutating func episodes() throws(PackedStateError) -> PersistentAbsenceFold.Episodes {
        var e = PersistentAbsenceFold.Episodes()
        e.ordinals = try count()
        e.open = try bool()
        e.leftOnDay = try optional { r throws(PackedStateError) in try r.int() }
        return e
    }
}

/// A canonical lower-case UUID (`8-4-4-4-12` hex digits) as its 16 bytes and back, so the
/// text read back is exactly the text packed.
enum PackedUUID {
    /// The 16 bytes of `s` (as two big-endian halves) when it is a canonical lower-case UUID:
    /// 36 bytes, hyphens at 8, 13, 18 and 23, lower-case hex digits elsewhere; nil otherwise.
    static func bytes(_ s: String) -> (high: UInt64, low: UInt64)? {
        var s = s
        return s.withUTF8 { u -> (high: UInt64, low: UInt64)? in
            guard u.count == 36 else { return nil }
            guard u[8] == UInt8(ascii: "-"), u[13] == UInt8(ascii: "-"), u[18] == UInt8(ascii: "-"),
                u[23] == UInt8(ascii: "-")
            else { return nil }
            // The hex digits of a range of positions, appended to `v`; nil at anything else.
            func hex(_ v: UInt64, _ positions: Range<Int>) -> UInt64? {
                var v = v
                for p in positions {
                    let c = u[p]
                    let nibble: UInt8
                    switch c {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = c &- UInt8(ascii: "0")
                    case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = c &- (UInt8(ascii: "a") &- 10)
                    default: return nil
                    }
                    v = v << 4 | UInt64(nibble)
                }
                return v
            }
            // 8-4-4 digits make the high word, 4-12 the low.
            guard let h1 = hex(0, 0..<8), let h2 = hex(h1, 9..<13), let high = hex(h2, 14..<18),
                let l1 = hex(0, 19..<23), let low = hex(l1, 24..<36)
            else { return nil }
            return (high, low)
        }
    }

    /// The 16 bytes of `bytes` as the canonical text, in one allocation.
    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2 + 4) { out in
            var j = 0
            for (i, b) in bytes.enumerated() {
                if i == 4 || i == 6 || i == 8 || i == 10 {
                    out[j] = UInt8(ascii: "-")
                    j += 1
                }
                out[j] = hex(b >> 4)
                out[j + 1] = hex(b & 0x0f)
                j += 2
            }
            return j
        }
    }

    private static func hex(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") - 10 + v }
}
