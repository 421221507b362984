/// The district of each postcode outward code (`Config/postcodes.csv`), for referrals that
/// name no school (domain.md, "Routing").
public struct PostcodeDistricts: Hashable, Sendable {
    /// Outward code (upper case, `CT9`) → district.
    public let districts: [String: String]

    public init(districts: [String: String]) {
        var m: [String: String] = [:]
        for (k, v) in districts { m[k.uppercased()] = v }
        self.districts = m
    }

    public static let empty = PostcodeDistricts(districts: [:])

    /// The outward code of a UK postcode as a person may write it (`ct9 1xp`, `CT91XP`,
    /// ` CT9  1XP `): upper-cased, spaces removed, the last three characters (the inward
    /// code: a digit and two letters) dropped. Nil when it is not shaped like a postcode.
    public static func outwardCode(of postcode: String) -> String? {
        let compact = String(postcode.uppercased().unicodeScalars.filter { $0 != " " && $0 != "\t" })
        let u = Array(compact.unicodeScalars)
        guard (5...7).contains(u.count) else { return nil }
        let inward = u.suffix(3)
        let outward = u.prefix(u.count - 3)
        func letter(_ c: Unicode.Scalar) -> Bool { c >= "A" && c <= "Z" }
        func digit(_ c: Unicode.Scalar) -> Bool { c >= "0" && c <= "9" }
        guard digit(inward[inward.startIndex]), inward.dropFirst().allSatisfy(letter),
            let first = outward.first, letter(first), outward.allSatisfy({ letter($0) || digit($0) }),
            outward.contains(where: digit)
        else { return nil }
        return String(String.UnicodeScalarView(outward))
    }

    /// The district of a postcode, or nil when its outward code is not listed.
    public func district(ofPostcode postcode: String) -> String? {
        Self.outwardCode(of: postcode).flatMap { districts[$0] }
    }
}
