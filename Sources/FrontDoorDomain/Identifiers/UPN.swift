/// A Unique Pupil Number: 13 characters, a check letter then LA code, establishment,
/// year of allocation and serial. Temporary UPNs end in a letter.
///
/// Compared case-insensitively; stored upper case. Validation follows the DfE's UPN
/// guidance and the school census (CBDS) messages 1500–1540.
public struct UPN: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    /// The upper-case 13 characters.
    public let value: String

    /// The check alphabet: 23 letters, no I, O or S.
    public static let checkAlphabet: [Character] = Array("ABCDEFGHJKLMNPQRTUVWXYZ")

    /// Why a string is not a UPN. Each case carries the DfE's wording.
    public enum Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        case wrongLength
        case laCodeNotRecognised
        case notNumeric
        case character13NotRecognised
        case wrongCheckLetter

        /// The school census validation number.
        public var censusRule: Int {
            switch self {
            case .wrongCheckLetter: 1500
            case .laCodeNotRecognised: 1510
            case .notNumeric: 1520
            case .character13NotRecognised: 1530
            case .wrongLength: 1540
            }
        }

        public var description: String {
            switch self {
            case .wrongCheckLetter: "UPN invalid (wrong check letter at character 1)"
            case .laCodeNotRecognised: "UPN invalid (characters 2-4 not a recognised LA code)"
            case .notNumeric: "UPN invalid (characters 5-12 not all numeric)"
            case .character13NotRecognised: "UPN invalid (character 13 not a recognised value)"
            case .wrongLength: "UPN invalid (wrong length)"
            }
        }
    }

    /// Validates and normalises (trims, upper-cases) a UPN.
    public init(validating raw: some StringProtocol) throws(Invalid) {
        let s = raw.trimmingSpaces.uppercased()
        let chars = Array(s)
        guard chars.count == 13 else { throw .wrongLength }
        guard let l1 = chars[1].digitValue, let l2 = chars[2].digitValue, let l3 = chars[3].digitValue else {
            throw .laCodeNotRecognised
        }
        // LA codes run from 201 (City of London) to 938; 001-200 are not allocated.
        let la = l1 * 100 + l2 * 10 + l3
        guard (201...999).contains(la) else { throw .laCodeNotRecognised }
        let body = chars[1...11].compactMap(\.digitValue)
        guard body.count == 11 else { throw .notNumeric }
        let last = chars[12]
        let lastValue: Int
        if let digit = last.digitValue {
            lastValue = digit
        } else if let i = UPN.checkAlphabet.firstIndex(of: last) {
            lastValue = i
        } else {
            throw .character13NotRecognised
        }
        var sum = 0
        for (offset, d) in body.enumerated() { sum += d * (offset + 2) }
        sum += lastValue * 13
        guard UPN.checkAlphabet.firstIndex(of: chars[0]) == sum % 23 else { throw .wrongCheckLetter }
        self.value = s
    }

    /// The check letter a UPN body (positions 2–13) must carry.
    public static func checkLetter(forBody body: String) -> Character? {
        let chars = Array(body.uppercased())
        guard chars.count == 12 else { return nil }
        let digits = chars[0...10].compactMap(\.digitValue)
        guard digits.count == 11 else { return nil }
        let lastValue: Int
        if let digit = chars[11].digitValue {
            lastValue = digit
        } else if let i = checkAlphabet.firstIndex(of: chars[11]) {
            lastValue = i
        } else {
            return nil
        }
        var sum = lastValue * 13
        for (offset, d) in digits.enumerated() { sum += d * (offset + 2) }
        return checkAlphabet[sum % 23]
    }

    /// Whether this is a temporary UPN (a letter at position 13).
    public var isTemporary: Bool { !(value.last?.isASCIIDigit ?? true) }

    /// The LA code of positions 2–4.
    public var laCode: String { String(Array(value)[1...3]) }

    public var description: String { value }
    public static func < (a: UPN, b: UPN) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        self = try UPN(validating: s)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

/// A DfE establishment reference: the 3-digit LA code then the 4-digit establishment
/// number (Kent is `886`).
public struct LAESTAB: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let value: String

    public struct Invalid: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String { "LAESTAB must be 7 digits: a 3-digit LA code then a 4-digit establishment number" }
    }

    public init(validating raw: some StringProtocol) throws(Invalid) {
        let s = raw.trimmingSpaces
        guard s.count == 7, s.allSatisfy(\.isASCIIDigit) else { throw Invalid() }
        self.value = s
    }

    public var laCode: String { String(value.prefix(3)) }
    public var establishmentNumber: String { String(value.suffix(4)) }
    public var description: String { value }
    public static func < (a: LAESTAB, b: LAESTAB) -> Bool { a.value < b.value }

    public init(from decoder: any Decoder) throws {
        self = try LAESTAB(validating: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(value)
    }
}

/// A school's phase, as `Config/schools.csv` names it.
public enum SchoolPhase: String, Sendable, Hashable, Codable, CaseIterable {
    case primary
    case secondary
    case allThrough = "all-through"
    case special
    case pru
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    /// 0–9 for an ASCII digit, nil for anything else.
    var digitValue: Int? {
        guard let a = asciiValue, (0x30...0x39).contains(a) else { return nil }
        return Int(a - 0x30)
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
