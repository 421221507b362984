import Foundation
import Testing

@testable import FrontDoorDomain

/// The fixed dates of the law the rules compare against (domain.md), built without a force
/// unwrap: each is the day domain.md names, and a date on either side of it falls on the side
/// the rule says.
@Suite("The law's fixed dates")
struct LawDatesTests {
    static func day(_ iso: String) throws -> LocalDate { try #require(LocalDate(iso: iso)) }

    @Test("19 August 2024: the national framework and the 2024 register codes")
    func nationalFrameworkStart() throws {
        #expect(PenaltyRulesetSchedule.nationalFrameworkStart == (try Self.day("2024-08-19")))
        #expect(PenaltyRulesetSchedule.nationalFrameworkStart == RegisterCodeSet.firstDayOf2024Set)
    }

    @Test("1 August 2020: PD and OT only for exclusions starting before it")
    func legacyReasonsEnd() throws {
        #expect(ExclusionReason.legacyReasonsEnd == (try Self.day("2020-08-01")))
        #expect(ExclusionReason.legacyOther.isInUse(forExclusionStarting: try Self.day("2020-07-31")))
        #expect(!ExclusionReason.legacyOther.isInUse(forExclusionStarting: try Self.day("2020-08-01")))
    }

    @Test("1 September 2013: F withdrawn")
    func fWithdrawn() throws {
        #expect(RegisterCodeSet.withdrawnCodes == ["F": try Self.day("2013-09-01")])
        #expect(RegisterCodeSet.pre2024.category(of: "F", on: try Self.day("2013-08-31")) != nil)
        #expect(RegisterCodeSet.pre2024.category(of: "F", on: try Self.day("2013-09-01")) == nil)
    }
}
