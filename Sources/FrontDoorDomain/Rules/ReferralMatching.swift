/// Which open case a referral joins (domain.md, "Referral triage": "a referral without a
/// UPN also joins an open case of a pupil frontdoor knows by UPN whose name and date of
/// birth match").
///
/// **What "a pupil frontdoor knows" means.** Registers and exclusion returns carry a UPN
/// but no name, so the only place frontdoor learns which name belongs to a UPN is a
/// referral that gave both: a child frontdoor knows is one named, with that UPN, in an
/// earlier referral. A referral without a UPN whose family name, given name and date of
/// birth (normalised as ``ReferredChild/matchKey``) match such a child joins that child's
/// open case of the same reason, as if it had given the UPN.
///
/// Where the name and date of birth match children of **two or more** UPNs (twins named
/// alike, a mistyped UPN), frontdoor cannot tell which child is meant: it matches none,
/// opens or joins the case by name as before, and says so in the audit
/// (`ambiguous-known-pupil`). An officer merges cases by hand if need be.
public enum ReferralMatching {
    /// The UPN a referral without one is matched to: the single UPN among `candidates`
    /// (UPN → the children named with it in earlier referrals) whose name and date of birth
    /// match the referral's child. Nil for a referral with a UPN, no match, or an ambiguous one.
    public static func knownUPN(
        for r: ReferralReceived, candidates: [(upn: UPN, child: ReferredChild)]
    ) -> (upn: UPN?, ambiguous: Bool) {
        guard r.upn == nil else { return (nil, false) }
        let key = r.child.matchKey
        let matches = Set(candidates.filter { $0.child.matchKey == key }.map { $0.upn })
        if matches.count == 1, let only = matches.first { return (only, false) }
        return (nil, matches.count > 1)
    }

    /// The child keys whose open cases the referral may join, its own first.
    public static func childKeys(for r: ReferralReceived, knownUPN: UPN?) -> [String] {
        var keys = [ReferralRules.childKey(r)]
        if let knownUPN { keys.append(ReferralRules.childKey(upn: knownUPN, child: r.child)) }
        return keys
    }
}
