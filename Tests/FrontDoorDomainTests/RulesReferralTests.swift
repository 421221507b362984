import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: referral triage and the CME clock")
struct RulesReferralTests {
    typealias F = RulesFixtures

    static let received = F.instant(F.date("2026-10-16"), hour: 10)

    func referral(
        _ reason: ReferralReason, id: String = "ref-1", upn: UPN? = nil, laestab: LAESTAB? = RulesFixtures.ashfordSchool,
        given: String = "Amelia", family: String = "Smith", fsm: Bool? = nil, sen: SENStatus? = nil, cla: Bool? = nil,
        safeguarding: Bool = false, postcode: String? = nil, born: String = "2015-03-02"
    ) -> ReferralReceived {
        ReferralReceived(
            referralId: id, reason: reason, upn: upn, laestab: laestab, referrer: Referrer(kind: .school, organisation: "Goat Lees"),
            child: ReferredChild(
                givenName: given, familyName: family, dateOfBirth: F.date(born), postcode: postcode, fsm: fsm, sen: sen,
                cla: cla),
            safeguardingConcern: safeguarding)
    }

    func triage(
        _ r: ReferralReceived, open: [OpenReferralCase] = [], known: PupilProfile? = nil, knownUPN: UPN? = nil,
        at: Date = received, context: RuleContext = RulesFixtures.context()
    ) -> TriageDecision {
        ReferralRules.triage(r, receivedAt: at, openCases: open, knownPupil: known, knownUPN: knownUPN, context: context)
    }

    @Test("case matching (domain.md): a referral without a UPN joins the open case of a pupil known by UPN whose name and date of birth match")
    func joinsKnownPupilByName() throws {
        // The school's referral gave the UPN: the case's child key is the UPN.
        let school = triage(referral(.cme, id: "ref-1", upn: F.pupil))
        let open = OpenReferralCase(caseId: school.caseId, childKey: school.childKey, reason: .cme, receivedAt: Self.received)
        // The police refer the same child by name and date of birth only, names written differently.
        let police = referral(.cme, id: "ref-2", laestab: nil, given: " amelia", family: "SMITH ")
        let candidates = [(upn: F.pupil, child: referral(.cme, upn: F.pupil).child)]
        let match = ReferralMatching.knownUPN(for: police, candidates: candidates)
        #expect(match.upn == F.pupil && !match.ambiguous)
        let joined = triage(police, open: [open], knownUPN: match.upn)
        #expect(joined.outcome == .joinedCase && joined.caseId == school.caseId)
        #expect(joined.notification == nil)
        #expect(joined.audit.first?.figures["matched-by"] == "name-and-date-of-birth-of-known-pupil")
        // Without knowing the pupil (today's behaviour) it opened a second case.
        #expect(triage(police, open: [open]).outcome == .openedCase)
        // Another date of birth, or another name: no match.
        let otherBirthday = referral(.cme, id: "ref-3", laestab: nil, born: "2015-03-03")
        #expect(ReferralMatching.knownUPN(for: otherBirthday, candidates: candidates).upn == nil)
        let otherName = referral(.cme, id: "ref-4", laestab: nil, given: "Amelie")
        #expect(ReferralMatching.knownUPN(for: otherName, candidates: candidates).upn == nil)
        // Two UPNs with the same name and date of birth: ambiguous, matched to neither.
        let two = candidates + [(upn: F.upn(2), child: referral(.cme, upn: F.upn(2)).child)]
        let ambiguous = ReferralMatching.knownUPN(for: police, candidates: two)
        #expect(ambiguous.upn == nil && ambiguous.ambiguous)
        // A referral with a UPN is matched by its UPN only.
        #expect(ReferralMatching.knownUPN(for: referral(.cme, upn: F.upn(3)), candidates: candidates).upn == nil)
    }

    @Test("routing (domain.md): a referral with no school goes by the child's postcode district; an unlisted postcode to unassigned")
    func postcodeRouting() {
        var context = F.context()
        context.postcodes = PostcodeDistricts(districts: ["TN24": "Ashford", "CT16": "Dover"])
        let dover = triage(referral(.attendanceConcern, laestab: nil, postcode: "ct16 1aa"), context: context)
        #expect(dover.route == Route(district: "Dover", unitId: "dover"))
        #expect(dover.notification?.unitId == "dover" && dover.notification?.district == "Dover")
        #expect(dover.audit.first?.figures["route-basis"] == "postcode")
        let compact = triage(referral(.cme, laestab: nil, postcode: "TN242AB"), context: context)
        #expect(compact.route.unitId == "ashford" && compact.task?.district == "Ashford")
        // Not listed, malformed or absent: the unit configured for unassigned.
        for p in ["SW1A 1AA", "not a postcode", nil] {
            let r = triage(referral(.attendanceConcern, laestab: nil, postcode: p), context: context)
            #expect(r.route == Route(district: "unassigned", unitId: "county-duty"), "\(p ?? "nil")")
        }
        // A school decides over the postcode.
        let atSchool = triage(referral(.attendanceConcern, postcode: "CT16 1AA"), context: context)
        #expect(atSchool.route.unitId == "ashford")
    }

    @Test("postcode outward codes: the part before the inward code, however the postcode is written")
    func outwardCodes() {
        #expect(PostcodeDistricts.outwardCode(of: "CT9 1XP") == "CT9")
        #expect(PostcodeDistricts.outwardCode(of: " me14  1xx ") == "ME14")
        #expect(PostcodeDistricts.outwardCode(of: "SW1A1AA") == "SW1A")
        #expect(PostcodeDistricts.outwardCode(of: "1AA") == nil)
        #expect(PostcodeDistricts.outwardCode(of: "CT9 XXX") == nil)
        #expect(PostcodeDistricts.outwardCode(of: "") == nil)
    }

    @Test("case matching: by UPN when given, else family name, given name and date of birth, trimmed and case-insensitive")
    func childKey() {
        let a = ReferralRules.childKey(referral(.cme, given: "  Amelia ", family: "SMITH"))
        let b = ReferralRules.childKey(referral(.cme, given: "amelia", family: " smith"))
        #expect(a == b)
        #expect(a == "name:smith|amelia|2015-03-02")
        #expect(ReferralRules.childKey(referral(.cme, given: "Amelie")) != a)
        #expect(ReferralRules.childKey(referral(.cme, upn: F.pupil)) == "upn:\(F.pupil.value)")
    }

    @Test("case matching: a second open referral for the same child and reason joins the open case, without a notification")
    func joins() {
        let first = triage(referral(.cme, id: "ref-1"))
        #expect(first.outcome == .openedCase)
        #expect(first.notification != nil)
        let open = OpenReferralCase(caseId: first.caseId, childKey: first.childKey, reason: .cme, receivedAt: Self.received)
        let second = triage(referral(.cme, id: "ref-2", given: "AMELIA "), open: [open])
        #expect(second.outcome == .joinedCase)
        #expect(second.caseId == first.caseId)
        #expect(second.notification == nil && second.task == nil)
        #expect(second.audit.map(\.decision) == ["joined-case"])
        // Another reason for the same child opens its own case.
        let other = triage(referral(.exclusionRisk, id: "ref-3"), open: [open])
        #expect(other.outcome == .openedCase && other.caseId != first.caseId)
    }

    @Test("case matching: re-triaging the same referral gives the same case and notification ids")
    func stable() {
        let a = triage(referral(.attendanceConcern))
        let b = triage(referral(.attendanceConcern))
        #expect(a.caseId == b.caseId && a.notification == b.notification)
        #expect(a.notification?.notificationId == NotificationDecisions.notificationId(.referralTriaged, key: [a.caseId]))
    }

    @Test("routing: by the school's district to its Early Help Unit; unknown school or none → unassigned")
    func routing() {
        #expect(triage(referral(.cme, laestab: F.doverSchool)).notification?.unitId == "dover")
        #expect(triage(referral(.cme, laestab: F.ashfordSchool)).route == Route(district: "Ashford", unitId: "ashford"))
        #expect(triage(referral(.cme, laestab: F.unknownSchool)).route == Route(district: "unassigned", unitId: "county-duty"))
        let none = triage(referral(.cme, laestab: nil)).notification
        #expect(none?.district == "unassigned" && none?.unitId == "county-duty" && none?.laestab == nil)
    }

    @Test("routing: cme and persistent-absence → School Liaison Officer; exclusion-risk and reintegration → Inclusion and Attendance Adviser")
    func tasks() {
        #expect(triage(referral(.cme)).task?.role == .schoolLiaisonOfficer)
        #expect(triage(referral(.persistentAbsence)).task?.role == .schoolLiaisonOfficer)
        #expect(triage(referral(.exclusionRisk)).task?.role == .inclusionAndAttendanceAdviser)
        #expect(triage(referral(.reintegration)).task?.role == .inclusionAndAttendanceAdviser)
        #expect(triage(referral(.attendanceConcern)).task == nil)
        #expect(triage(referral(.attendanceConcern)).notification != nil)
    }

    @Test("priority: urgent for cme with a safeguarding concern or a looked-after child")
    func urgent() {
        #expect(triage(referral(.cme, safeguarding: true)).priority == .urgent)
        #expect(triage(referral(.cme, cla: true)).priority == .urgent)
        #expect(triage(referral(.cme), known: PupilProfile(cla: true)).priority == .urgent)
    }

    @Test("priority: high for any cme and any referral of an EHCP, looked-after or FSM child; else normal")
    func highAndNormal() {
        #expect(triage(referral(.cme)).priority == .high)
        #expect(triage(referral(.attendanceConcern, fsm: true)).priority == .high)
        #expect(triage(referral(.exclusionRisk, sen: .ehcPlan)).priority == .high)
        #expect(triage(referral(.reintegration, cla: true)).priority == .high)
        #expect(triage(referral(.exclusionRisk, safeguarding: true)).priority == .normal)
        #expect(triage(referral(.persistentAbsence, sen: .senSupport)).priority == .normal)
        #expect(triage(referral(.attendanceConcern)).priority == .normal)
    }

    @Test("notification: cme-referral for reason cme, referral-triaged otherwise, with reasons")
    func kinds() {
        let cme = triage(referral(.cme, fsm: true, safeguarding: true)).notification
        #expect(cme?.kind == .cmeReferral)
        #expect(cme?.reasons == ["reason:cme", "safeguarding", "fsm"])
        #expect(cme?.createdAt == Self.received)
        for r in [ReferralReason.exclusionRisk, .persistentAbsence, .attendanceConcern, .reintegration] {
            #expect(triage(referral(r)).notification?.kind == .referralTriaged)
        }
    }

    // MARK: CME clock

    @Test("CME clock: due on the 10th school day after the day received, across the half term")
    func dueDate() {
        // Fri 16 Oct; 19–23 Oct are days 1–5, half term, 2–6 Nov days 6–10.
        #expect(triage(referral(.cme)).dueBy == F.date("2026-11-06"))
        #expect(triage(referral(.cme)).notification?.dueBy == F.date("2026-11-06"))
    }

    func cmeCase(resolution: CMEResolution? = nil) -> CMECaseState {
        CMECaseState(caseId: "case-1", upn: F.pupil, laestab: F.ashfordSchool, receivedAt: Self.received, resolution: resolution)
    }

    @Test("CME clock: cme-overdue is not raised on the 10th school day, and is raised after it")
    func overdue() {
        let ctx = F.context()
        #expect(ReferralRules.cmeOverdue(case: cmeCase(), today: F.date("2026-11-06"), context: ctx) == nil)
        let first = ReferralRules.cmeOverdue(case: cmeCase(), today: F.date("2026-11-07"), context: ctx)
        #expect(first?.notification.kind == .cmeOverdue)
        #expect(first?.notification.priority == .urgent)
        #expect(first?.notification.notificationId == NotificationDecisions.notificationId(.cmeOverdue, key: ["case-1"]))
        #expect(first?.notification.dueBy == F.date("2026-11-09"))
    }

    @Test("CME clock: cme-overdue is raised once: every later day yields the same notification")
    func overdueOnce() {
        let ctx = F.context()
        let a = ReferralRules.cmeOverdue(case: cmeCase(), today: F.date("2026-11-09"), context: ctx)?.notification
        let b = ReferralRules.cmeOverdue(case: cmeCase(), today: F.date("2026-11-20"), context: ctx)?.notification
        #expect(a != nil)
        #expect(a?.notificationId == b?.notificationId)
        #expect(a?.createdAt == b?.createdAt)
        #expect(a?.createdAt == LondonDate.startOfDay(F.date("2026-11-07")))
    }

    @Test("CME clock: cme-overdue of a case routed by postcode goes to the case's unit, as its cme-referral did")
    func overdueFollowsCaseRoute() {
        var c = cmeCase()
        c.laestab = nil
        let byLaestab = ReferralRules.cmeOverdue(case: c, today: F.date("2026-11-09"), context: F.context())?.notification
        #expect(byLaestab?.unitId == "county-duty")
        c.route = Route(district: "Dover", unitId: "dover")
        let byCase = ReferralRules.cmeOverdue(case: c, today: F.date("2026-11-09"), context: F.context())?.notification
        #expect(byCase?.unitId == "dover" && byCase?.district == "Dover")
    }

    @Test("CME clock: a resolved case is not overdue")
    func resolvedNotOverdue() {
        let r = CMEResolution(outcome: .notFound, resolvedOn: F.date("2026-11-05"))
        #expect(ReferralRules.cmeOverdue(case: cmeCase(resolution: r), today: F.date("2026-11-10"), context: F.context()) == nil)
    }

    @Test("found within two weeks: resolved with any outcome but not-found on or before the 10th school day")
    func foundWithinTwoWeeks() {
        let ctx = F.context()
        func found(_ o: ReferralOutcome, _ d: String, at: Date = Self.received) -> Bool {
            ReferralRules.foundWithinTwoWeeks(receivedAt: at, resolution: CMEResolution(outcome: o, resolvedOn: F.date(d)), context: ctx)
        }
        #expect(found(.returnedToSchool, "2026-11-06"))
        #expect(found(.electiveHomeEducation, "2026-10-19"))
        #expect(!found(.returnedToSchool, "2026-11-09"))
        #expect(!found(.notFound, "2026-10-20"))
        #expect(!ReferralRules.foundWithinTwoWeeks(receivedAt: Self.received, resolution: nil, context: ctx))
    }

    @Test("found within two weeks: counted from the day received in England, not UTC")
    func londonDay() {
        // 23:30 UTC on Thursday 15 Oct is 00:30 BST on Friday 16 Oct: the clock starts on the 16th.
        let lateUTC = Date(timeIntervalSince1970: TimeInterval(F.date("2026-10-15").daysSinceEpoch * 86_400 + 23 * 3600 + 1800))
        #expect(LondonDate.of(lateUTC) == F.date("2026-10-16"))
        let ctx = F.context()
        #expect(
            ReferralRules.foundWithinTwoWeeks(
                receivedAt: lateUTC, resolution: CMEResolution(outcome: .foundNewSchool, resolvedOn: F.date("2026-11-06")),
                context: ctx))
    }
}
