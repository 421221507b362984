import Foundation
import FrontDoorConfig
import Testing

@testable import FrontDoorDomain

/// domain.md "School days": England's bank holidays are computed for any year by rule,
/// and `Config/` lists only the one-off exceptions.
///
/// The expected lists are GOV.UK's published England and Wales bank holidays
/// (https://www.gov.uk/bank-holidays, also as https://www.gov.uk/bank-holidays.json), as
/// GOV.UK has listed them for 2019-2027.
@Suite("Bank holidays by rule (domain.md School days)")
struct BankHolidaysTests {
    static let govUK: [Int: [String]] = [
        2019: ["2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26", "2019-12-25", "2019-12-26"],
        // The early May bank holiday moved to Friday 8 May (75th anniversary of VE Day).
        2020: ["2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"],
        2021: ["2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28"],
        // Spring bank holiday moved to Thursday 2 June, Platinum Jubilee Friday 3 June, State Funeral 19 September.
        2022: [
            "2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19",
            "2022-12-26", "2022-12-27",
        ],
        // Coronation of King Charles III, Monday 8 May.
        2023: [
            "2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25",
            "2023-12-26",
        ],
        2024: ["2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25", "2024-12-26"],
        2025: ["2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26"],
        2026: ["2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"],
        2027: ["2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"],
    ]

    static let config: SchoolCalendar? = try? ConfigLoader(directory: repositoryRoot.appendingPathComponent("Config")).load()
        .calendar

    @Test("The rule and Config/'s exceptions give exactly GOV.UK's list for 2019-2027")
    func govUKLists() throws {
        let calendar = try #require(Self.config)
        let exceptions = try #require(calendar.englandBankHolidays)
        for (year, expected) in Self.govUK.sorted(by: { $0.key < $1.key }) {
            #expect(exceptions.holidays(in: year).map(\.description) == expected, "\(year)")
            // The calendar agrees day by day, over the whole year.
            var d = day("\(year)-01-01")
            while d.year == year {
                #expect(calendar.isBankHoliday(d) == expected.contains(d.description), "\(d)")
                d = d.adding(days: 1)
            }
        }
    }

    @Test("Years without exceptions follow the rule alone (2019, 2021, 2024-2027)")
    func ruleAlone() {
        for year in [2019, 2021, 2024, 2025, 2026, 2027] {
            #expect(BankHolidays.byRule(in: year).map(\.description) == Self.govUK[year], "\(year)")
        }
    }

    @Test("Substitute days: Christmas on a Saturday, on a Sunday, Boxing Day on a Saturday, New Year at a weekend")
    func substitutes() {
        // 2021: Christmas Saturday -> Monday 27 and Tuesday 28.
        #expect(BankHolidays.byRule(in: 2021).suffix(2).map(\.description) == ["2021-12-27", "2021-12-28"])
        // 2022: Christmas Sunday -> Boxing Day Monday 26, Christmas substitute Tuesday 27.
        #expect(BankHolidays.byRule(in: 2022).suffix(2).map(\.description) == ["2022-12-26", "2022-12-27"])
        // 2026: Boxing Day Saturday -> Monday 28.
        #expect(BankHolidays.byRule(in: 2026).suffix(2).map(\.description) == ["2026-12-25", "2026-12-28"])
        // New Year's Day on a Saturday (2022, 2028) -> Monday 3; on a Sunday (2023) -> Monday 2.
        #expect(BankHolidays.byRule(in: 2022).first == day("2022-01-03"))
        #expect(BankHolidays.byRule(in: 2023).first == day("2023-01-02"))
        #expect(BankHolidays.byRule(in: 2028).first == day("2028-01-03"))
        // Every rule day is a weekday, eight a year.
        for year in 1978...2100 {
            let days = BankHolidays.byRule(in: year)
            #expect(days.count == 8 && days.allSatisfy { !$0.isWeekend }, "\(year)")
            #expect(days.allSatisfy(BankHolidays.isBankHolidayByRule), "\(year)")
        }
    }

    @Test("Easter by the Gregorian computus, including its extreme dates")
    func computus() {
        let known = [
            2008: "2008-03-23", 2011: "2011-04-24", 2019: "2019-04-21", 2024: "2024-03-31", 2025: "2025-04-20",
            2026: "2026-04-05", 2027: "2027-03-28", 2028: "2028-04-16", 2038: "2038-04-25", 2285: "2285-03-22",
        ]
        for (year, easter) in known { #expect(BankHolidays.easterSunday(year) == day(easter), "\(year)") }
    }

    @Test("A mark on a 2028 bank holiday is rejected (not-a-school-day); no 2028 date is listed in Config/")
    func mark2028() throws {
        let calendar = try #require(Self.config)
        #expect(!calendar.bankHolidays.contains { $0.year == 2028 })
        let expected2028 = ["2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26"]
        #expect(BankHolidays.byRule(in: 2028).map(\.description) == expected2028)
        let json = { (date: String) in
            """
            {"specversion":"1.0","id":"m-\(date)","source":"urn:laestab:8862001","type":"attendance.mark.v1",
             "time":"\(date)T09:05:12Z","datacontenttype":"application/json",
             "data":{"upn":"N886200126001","laestab":"8862001","date":"\(date)","session":"AM","code":"/"}}
            """
        }
        for d in expected2028 {
            let r = EventDecoder.decode(value: Array(json(d).utf8), headers: [], calendar: calendar)
            guard case .failure(let reject) = r else {
                Issue.record("\(d) accepted")
                continue
            }
            #expect(reject.code == .notASchoolDay, "\(d)")
        }
        // The Tuesday after Easter Monday 2028 is an ordinary weekday.
        let tuesday = EventDecoder.decode(value: Array(json("2028-04-18").utf8), headers: [], calendar: calendar)
        #expect((try? tuesday.get()) != nil)
    }

    @Test("Exceptions: an added day, a moved day (the old day is no longer one), a removed day")
    func exceptions() {
        let moved = BankHolidays(added: [day("2020-05-08")], removed: [day("2020-05-04")])
        #expect(moved.contains(day("2020-05-08")) && !moved.contains(day("2020-05-04")))
        let cal = SchoolCalendar.empty.withBankHolidays(moved)
        #expect(cal.acceptsMarks(on: day("2020-05-04")) && !cal.acceptsMarks(on: day("2020-05-08")))
        // Merging keeps both files' exceptions.
        let coronation = SchoolCalendar.empty.withBankHolidays(BankHolidays(added: [day("2023-05-08")]))
        let merged = cal.merging(coronation)
        #expect(merged.isBankHoliday(day("2023-05-08")) && merged.isBankHoliday(day("2020-05-08")))
        #expect(!merged.isBankHoliday(day("2020-05-04")))
        // Without the rule (a calendar built by hand) only listed days are bank holidays.
        #expect(!SchoolCalendar.empty.isBankHoliday(day("2028-04-14")))
    }
}
