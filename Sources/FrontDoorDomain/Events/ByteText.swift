/// Text and identifier checks on UTF-8 bytes, for the hot paths (the event decoder, the packed
/// enrolment state): each gives exactly the answer of the `String` / `Character` code it stands
/// in for, without building intermediate strings, character arrays or hashes.
///
/// Where a check has a fast path (``UPN/init(canonicalUTF8:)``, ``LAESTAB/init(canonicalUTF8:)``),
/// the fast path accepts only inputs the general validator accepts unchanged and returns nil for
/// anything else, which the general validator then judges and names the reason for; so a reject
/// and its message come from one place only.
enum ByteText {
    /// Whether every byte is ASCII (below 0x80), 8 bytes at a time.
    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while i + 8 <= n {
                guard raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 else { return false }
                i += 8
            }
        }
        while i < n {
            guard bytes[i] < 0x80 else { return false }
            i += 1
        }
        return true
    }

    /// Whether `bytes` are UTF-8: `String(validating:as:)` succeeding, without building the
    /// string when the bytes are ASCII.
    static func isUTF8(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isASCII($0) } || String(validating: bytes, as: UTF8.self) != nil
    }

    /// The bytes as a string when they are UTF-8, else nil: `String(validating:as:)`, with a
    /// fast path for ASCII.
    static func string(_ bytes: ArraySlice<UInt8>) -> String? {
        let ascii = bytes.withUnsafeBufferPointer { isASCII($0) }
        return ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    /// The number of Unicode scalars of `s` (`s.unicodeScalars.count`): its UTF-8 bytes that
    /// are not continuation bytes.
    static func scalarCount(_ s: String) -> Int {
        var s = s
        return s.withUTF8 { u in
            var n = 0
            for b in u where b & 0xC0 != 0x80 { n += 1 }
            return n
        }
    }

    /// Whether `s` has a scalar below U+0020 or U+007F: in UTF-8 those are single bytes, and no
    /// byte of a longer scalar is below 0x80.
    static func containsControlCharacter(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { $0.contains { $0 < 0x20 || $0 == 0x7F } }
    }

    /// Whether every byte of `s` is above 0x20 and not 0x7F: no scalar is U+0000-U+0020 or
    /// U+007F, as those are the single bytes of those values.
    static func hasNoSpaceOrControl(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { $0.allSatisfy { $0 > 0x20 && $0 != 0x7F } }
    }
}

extension UPN {
    /// The check alphabet's index of an upper-case ASCII letter (`A` = 0 … `Z` = 22, no I, O, S).
    private static func checkIndex(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "H"): Int(b - UInt8(ascii: "A"))
        case UInt8(ascii: "J")...UInt8(ascii: "N"): Int(b - UInt8(ascii: "A")) - 1
        case UInt8(ascii: "P")...UInt8(ascii: "R"): Int(b - UInt8(ascii: "A")) - 2
        case UInt8(ascii: "T")...UInt8(ascii: "Z"): Int(b - UInt8(ascii: "A")) - 3
        default: nil
        }
    }

    /// Whether `u` is a UPN in its stored form: 13 ASCII bytes, upper case, that pass every
    /// check of ``init(validating:)``, which would keep them unchanged.
    static func isCanonical(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard u.count == 13, let check = checkIndex(u[0]) else { return false }
        var sum = 0
        for k in 1...11 {
            let d = u[k] &- UInt8(ascii: "0")
            guard d <= 9 else { return false }
            sum += Int(d) * (k + 1)
        }
        let la = Int(u[1] - 0x30) * 100 + Int(u[2] - 0x30) * 10 + Int(u[3] - 0x30)
        guard la >= 201 else { return false }
        let last: Int
        if u[12] &- UInt8(ascii: "0") <= 9 {
            last = Int(u[12] - UInt8(ascii: "0"))
        } else if let i = checkIndex(u[12]) {
            last = i
        } else {
            return false
        }
        return (sum + last * 13) % 23 == check
    }

    /// The UPN `s` is when it is already in its stored form (see ``isCanonical(_:)``); nil
    /// otherwise, for ``init(validating:)`` to normalise or refuse.
    init?(canonical s: String) {
        var s = s
        guard s.withUTF8({ UPN.isCanonical($0) }) else { return nil }
        self.value = s
    }

    /// The UPN the bytes spell when they are in its stored form; nil otherwise.
    init?(canonicalUTF8 bytes: ArraySlice<UInt8>) {
        guard bytes.withUnsafeBufferPointer({ UPN.isCanonical($0) }) else { return nil }
        self.value = String(decoding: bytes, as: UTF8.self)
    }
}

extension LAESTAB {
    /// Whether `u` is 7 ASCII digits, the only form ``init(validating:)`` keeps unchanged.
    static func isCanonical(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        u.count == 7 && u.allSatisfy { $0 &- UInt8(ascii: "0") <= 9 }
    }

    /// The LAESTAB `s` is when it is 7 ASCII digits; nil otherwise.
    init?(canonical s: String) {
        var s = s
        guard s.withUTF8({ LAESTAB.isCanonical($0) }) else { return nil }
        self.value = s
    }

    /// The LAESTAB the bytes spell when they are 7 ASCII digits; nil otherwise.
    init?(canonicalUTF8 bytes: ArraySlice<UInt8>) {
        guard bytes.withUnsafeBufferPointer({ LAESTAB.isCanonical($0) }) else { return nil }
        self.value = String(decoding: bytes, as: UTF8.self)
    }
}
