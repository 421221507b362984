import Foundation
import Testing

@testable import FrontDoorDomain

@Suite("Rules: compulsory school age (domain.md, Penalty notice rulesets; Education Act 1996 s.8)")
struct RulesCompulsorySchoolAgeTests {
    typealias F = RulesFixtures
    typealias CSA = CompulsorySchoolAge

    @Test("compulsory school age begins on the prescribed day (31 March, 31 August, 31 December) on or after the 5th birthday")
    func begins() {
        // DfE's example: a child turning 5 on 10 February 2024 is of compulsory school age from 31 March 2024.
        #expect(CSA.firstDay(dateOfBirth: F.date("2019-02-10")) == F.date("2024-03-31"))
        #expect(CSA.firstDay(dateOfBirth: F.date("2019-03-31")) == F.date("2024-03-31"))  // on a prescribed day
        #expect(CSA.firstDay(dateOfBirth: F.date("2019-04-01")) == F.date("2024-08-31"))
        #expect(CSA.firstDay(dateOfBirth: F.date("2019-09-01")) == F.date("2024-12-31"))
        #expect(CSA.firstDay(dateOfBirth: F.date("2019-12-31")) == F.date("2024-12-31"))
        #expect(CSA.firstDay(dateOfBirth: F.date("2020-01-01")) == F.date("2025-03-31"))
        // Born on 29 February: 5 on 1 March 2025.
        #expect(CSA.firstDay(dateOfBirth: F.date("2020-02-29")) == F.date("2025-03-31"))
        #expect(!CSA.contains(dateOfBirth: F.date("2019-02-10"), on: F.date("2024-03-30")))
        #expect(CSA.contains(dateOfBirth: F.date("2019-02-10"), on: F.date("2024-03-31")))
    }

    @Test("compulsory school age ends on the last Friday in June of the school year in which the child turns 16")
    func ends() {
        // The example of the guidance: born 23 September 2007, ends 28 June 2024.
        #expect(CSA.lastDay(dateOfBirth: F.date("2007-09-23")) == F.date("2024-06-28"))
        // 16 in the summer holiday: still that June (before the next school year begins).
        #expect(CSA.lastDay(dateOfBirth: F.date("2008-08-31")) == F.date("2024-06-28"))
        #expect(CSA.lastDay(dateOfBirth: F.date("2008-09-01")) == F.date("2025-06-27"))
        #expect(CSA.schoolLeavingDate(AcademicYear(startYear: 2026)) == F.date("2027-06-25"))
        #expect(CSA.contains(dateOfBirth: F.date("2007-09-23"), on: F.date("2024-06-28")))
        #expect(!CSA.contains(dateOfBirth: F.date("2007-09-23"), on: F.date("2024-07-01")))
    }

    @Test("compulsory school age without a date of birth: Reception and years 12-13 outside, years 1-11 inside, unknown assumed")
    func byYearGroup() {
        let on = F.date("2026-11-16")
        for (year, inside) in [(0, false), (1, true), (6, true), (11, true), (12, false), (13, false), (14, false)] {
            let j = CSA.judge(PupilProfile(yearGroup: year), on: on)
            #expect(j.inside == inside && j.basis == .yearGroup, "year \(year)")
        }
        // Year 11 leaves on the last Friday in June.
        #expect(CSA.judge(PupilProfile(yearGroup: 11), on: F.date("2027-06-25")).inside)
        #expect(!CSA.judge(PupilProfile(yearGroup: 11), on: F.date("2027-06-28")).inside)
        let unknown = CSA.judge(.unknown, on: on)
        #expect(unknown.inside && unknown.basis == .assumed)
        // The date of birth wins over the year group.
        let dob = CSA.judge(PupilProfile(yearGroup: 0, dateOfBirth: F.date("2014-01-01")), on: on)
        #expect(dob.inside && dob.basis == .dateOfBirth)
    }

    // MARK: penalty reviews only for children of compulsory school age

    /// `U` in the AM of one Monday per school week from 7 September 2026, 10 weeks: the
    /// `england-2024` threshold.
    func tenWeeks(from start: String = "2026-09-07") -> [MarkEvent] {
        var events: [MarkEvent] = []
        var monday = F.date(start)
        while events.count < 20 {
            if F.calendar2026.isSchoolDay(monday) {
                events += [F.mark(monday, .am, "U"), F.mark(monday, .pm, "/")]
            }
            monday = monday.adding(days: 7)
        }
        return events
    }

    func evaluate(
        _ events: [MarkEvent], _ pupil: PupilProfile, configure: (inout RulesConfig) -> Void = { _ in }
    )
        -> PenaltyAssessment
    {
        PenaltyRules.evaluate(upn: F.pupil, marks: F.counted(events), pupil: pupil, history: .none, context: F.context(configure))
    }

    func review(_ a: PenaltyAssessment) -> EnforcementReview? {
        if case .review(let r) = a.decision { return r }
        return nil
    }

    @Test("compulsory school age: a Reception child and a year-12 student at the england-2024 threshold get no review")
    func receptionAndYearTwelveEngland() {
        for year in [0, 12] {
            let a = evaluate(tenWeeks(), PupilProfile(yearGroup: year))
            #expect(a.decision == nil, "year \(year)")
            #expect(a.audit.map(\.decision) == ["no-review-not-compulsory-school-age"], "year \(year)")
            #expect(a.audit.first?.figures["compulsory-school-age"] == "year-group")
        }
        // Year 7 at the same threshold: a review, no assumption to state.
        let r = review(evaluate(tenWeeks(), PupilProfile(yearGroup: 7)))
        #expect(r?.unauthorisedSessions == 10)
        #expect(r?.reasons == [])
    }

    @Test("compulsory school age: a Reception child and a year-12 student at 90% under kent-2016 get no review")
    func receptionAndYearTwelveKent() {
        let events = F.sessions(F.repeated("/", 18) + ["G", "G"])
        for year in [0, 12] {
            #expect(evaluate(events, PupilProfile(yearGroup: year)) { $0.ruleset = .kent2016 }.decision == nil)
        }
        #expect(review(evaluate(events, PupilProfile(yearGroup: 2)) { $0.ruleset = .kent2016 }) != nil)
    }

    @Test("compulsory school age: nothing known is assumed inside it, and the review says so")
    func assumed() {
        let r = review(evaluate(tenWeeks(), .unknown))
        #expect(r?.reasons == [CompulsorySchoolAge.assumedReason])
        #expect(r?.reasons == ["compulsory-school-age-assumed"])
    }

    @Test("compulsory school age from the date of birth: sessions before the prescribed day do not count")
    func fromDateOfBirth() {
        // 5 on 15 October 2026: of compulsory school age from 31 December 2026.
        let child = PupilProfile(yearGroup: 0, dateOfBirth: F.date("2021-10-15"))
        let autumn = evaluate(tenWeeks(), child)
        #expect(autumn.decision == nil)
        #expect(autumn.audit.first?.figures["compulsory-school-age"] == "date-of-birth")
        // In the spring term the same pattern raises a review, counted from January only.
        let r = review(evaluate(tenWeeks() + tenWeeks(from: "2027-01-04"), child))
        #expect(r?.windowEnd == F.date("2027-03-15"))
        #expect(r?.unauthorisedSessions == 10)
        #expect(r?.reasons == [])
        // 5 on 31 August 2026 (a prescribed day): inside from the start of the year.
        #expect(review(evaluate(tenWeeks(), PupilProfile(yearGroup: 0, dateOfBirth: F.date("2021-08-31")))) != nil)
    }
}
