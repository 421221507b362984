/// Routing a referral (domain.md, "Routing"): by its school's district to that district's
/// Early Help Unit; a referral that names no school, by the child's postcode district
/// (`Config/postcodes.csv`, outward code → district); else to the unit configured for
/// `unassigned`.
///
/// A referral naming a school not on the register goes to `unassigned` as before: the
/// school, not the home address, decides where a pupil's case belongs, and an unknown
/// school is for the county duty team to place. A postcode outside the file (another
/// county, a mistyped one) also goes to `unassigned`.
public enum PostcodeRouting {
    /// The route of a referral, and how it was found (`school`, `postcode`, `unassigned`).
    public static func route(
        laestab: LAESTAB?, postcode: String?, context: RuleContext
    ) -> (route: Route, basis: String) {
        if let laestab { return (context.route(laestab), "school") }
        if let postcode, let district = context.postcodes.district(ofPostcode: postcode) {
            return (Route(district: district, unitId: context.units.unitId(forDistrict: district)), "postcode")
        }
        return (context.route(nil), "unassigned")
    }
}
