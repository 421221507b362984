import Testing

@testable import FrontDoorDomain

/// domain.md "Register codes and what they count as".
@Suite("Register codes (domain.md register code table)")
struct RegisterCodeTests {
    static let table2024: [(String, AttendanceCategory)] = [
        ("/", .present), ("\\", .present), ("L", .present),
        ("K", .attending), ("V", .attending), ("P", .attending), ("W", .attending), ("B", .attending),
        ("C1", .authorised), ("M", .authorised), ("J1", .authorised), ("S", .authorised), ("C2", .authorised),
        ("C", .authorised), ("T", .authorised), ("R", .authorised), ("I", .authorised), ("E", .authorised),
        ("G", .unauthorised), ("N", .unauthorised), ("O", .unauthorised), ("U", .unauthorised),
        ("D", .notCounted), ("X", .notCounted), ("Q", .notCounted), ("Y1", .notCounted), ("Y2", .notCounted),
        ("Y3", .notCounted), ("Y4", .notCounted), ("Y5", .notCounted), ("Y6", .notCounted), ("Y7", .notCounted),
        ("Z", .notCounted), ("#", .notCounted),
    ]

    static let tablePre2024: [(String, AttendanceCategory)] = [
        ("/", .present), ("\\", .present), ("L", .present),
        ("B", .attending), ("J", .attending), ("P", .attending), ("V", .attending), ("W", .attending),
        ("C", .authorised), ("E", .authorised), ("H", .authorised), ("I", .authorised), ("M", .authorised),
        ("R", .authorised), ("S", .authorised), ("T", .authorised), ("F", .authorised),
        ("G", .unauthorised), ("N", .unauthorised), ("O", .unauthorised), ("U", .unauthorised),
        ("D", .notCounted), ("X", .notCounted), ("Y", .notCounted), ("Z", .notCounted), ("#", .notCounted),
    ]

    @Test("Every code of the 2024 set has domain.md's category, and the set has no other code")
    func set2024() {
        let on = day("2024-08-19")
        for (code, category) in Self.table2024 {
            let rc = RegisterCode(code, on: on)
            #expect(rc?.category == category, "code \(code)")
            #expect(rc?.set == .set2024)
        }
        #expect(RegisterCodeSet.set2024.codes.count == Self.table2024.count)
    }

    @Test("Every code of the pre-2024 set has domain.md's category, and the set has no other code")
    func setPre2024() {
        for (code, category) in Self.tablePre2024 {
            // F was withdrawn on 2013-09-01 (domain.md); the others last until 2024-08-18.
            let on = code == "F" ? day("2013-08-30") : day("2024-08-18")
            let rc = RegisterCode(code, on: on)
            #expect(rc?.category == category, "code \(code)")
            #expect(rc?.set == .pre2024)
        }
        #expect(RegisterCodeSet.pre2024.codes.count == Self.tablePre2024.count)
    }

    @Test("domain.md, register codes: F (extended family holiday agreed) only before 2013-09-01")
    func codeFWithdrawn2013() {
        #expect(RegisterCode("F", on: day("2013-08-30"))?.category == .authorised)
        #expect(RegisterCode("F", on: day("2013-08-31"))?.category == .authorised)
        #expect(RegisterCode("F", on: day("2013-09-01")) == nil)
        #expect(RegisterCode("F", on: day("2016-10-03")) == nil)
        #expect(RegisterCode("F", on: day("2026-10-05")) == nil)
        // The rest of the pre-2024 set is unchanged by the date.
        #expect(RegisterCode("H", on: day("2016-10-03"))?.category == .authorised)
    }

    @Test("The 2024 set applies from 2024-08-19; 2024-08-18 still uses the pre-2024 set")
    func switchOverBoundary() {
        #expect(RegisterCodeSet.inForce(on: day("2024-08-18")) == .pre2024)
        #expect(RegisterCodeSet.inForce(on: day("2024-08-19")) == .set2024)
        // H (holiday authorised) exists only before; C1 only from.
        #expect(RegisterCode("H", on: day("2024-08-18"))?.category == .authorised)
        #expect(RegisterCode("H", on: day("2024-08-19")) == nil)
        #expect(RegisterCode("C1", on: day("2024-08-18")) == nil)
        #expect(RegisterCode("C1", on: day("2024-08-19"))?.category == .authorised)
        // J changed meaning: attending (interview) before, gone after (J1 is authorised).
        #expect(RegisterCode("J", on: day("2024-08-18"))?.category == .attending)
        #expect(RegisterCode("J", on: day("2024-08-19")) == nil)
        // K is attending from 2024 and unknown before.
        #expect(RegisterCode("K", on: day("2024-08-19"))?.category == .attending)
        #expect(RegisterCode("K", on: day("2024-08-18")) == nil)
    }

    @Test("Unknown codes are unknown in both sets (case-sensitive)", arguments: ["A", "y1", "Y8", "", " ", "//", "c1", "H1"])
    func unknownCodes(code: String) {
        #expect(RegisterCode(code, on: day("2026-09-14")) == nil)
        #expect(RegisterCode(code, on: day("2023-09-14")) == nil)
    }

    @Test("Categories: present and attending count as present; not-counted is not a possible session")
    func categoryMeaning() {
        #expect(AttendanceCategory.present.countsAsPresent && AttendanceCategory.attending.countsAsPresent)
        #expect(AttendanceCategory.authorised.isAbsence && AttendanceCategory.unauthorised.isAbsence)
        #expect(!AttendanceCategory.notCounted.isPossible)
        #expect(AttendanceCategory.unauthorised.isPossible)
        #expect(RegisterCode("N", on: day("2026-09-14"))!.isUnauthorised)
    }
}
