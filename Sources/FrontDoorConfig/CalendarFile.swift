import FrontDoorDomain

/// The shape of one `Config/calendar/*.yaml` file. Every key is optional, so bank holidays
/// can live in a file of their own; the loader merges all files into one ``SchoolCalendar``.
struct CalendarFile: Decodable {
    var academicYear: AcademicYear?
    var terms: [Term]
    var bankHolidays: [LocalDate]
    var insetDays: [LocalDate]
    var examPeriods: [ExamPeriod]
    /// National curriculum test periods (the KS2 test week).
    var testPeriods: [ExamPeriod]
    /// Exceptions to England's bank holidays by rule (BankHolidays.swift): extra days,
    /// days moved (a removed day and an added one) and days removed.
    var addedBankHolidays: [NamedDay]
    var movedBankHolidays: [MovedDay]
    var removedBankHolidays: [NamedDay]

    /// A one-off bank holiday, or one the rule gives that does not happen.
    struct NamedDay: Decodable {
        var date: LocalDate
        var name: String
    }

    /// A bank holiday of the rule moved to another day.
    struct MovedDay: Decodable {
        var from: LocalDate
        var to: LocalDate
        var name: String
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case academicYear, terms, bankHolidays, insetDays, examPeriods, testPeriods
        case addedBankHolidays, movedBankHolidays, removedBankHolidays
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        academicYear = try c.decodeIfPresent(AcademicYear.self, forKey: .academicYear)
        terms = try c.decodeIfPresent([Term].self, forKey: .terms) ?? []
        bankHolidays = try c.decodeIfPresent([LocalDate].self, forKey: .bankHolidays) ?? []
        insetDays = try c.decodeIfPresent([LocalDate].self, forKey: .insetDays) ?? []
        examPeriods = try c.decodeIfPresent([ExamPeriod].self, forKey: .examPeriods) ?? []
        testPeriods = try c.decodeIfPresent([ExamPeriod].self, forKey: .testPeriods) ?? []
        addedBankHolidays = try c.decodeIfPresent([NamedDay].self, forKey: .addedBankHolidays) ?? []
        movedBankHolidays = try c.decodeIfPresent([MovedDay].self, forKey: .movedBankHolidays) ?? []
        removedBankHolidays = try c.decodeIfPresent([NamedDay].self, forKey: .removedBankHolidays) ?? []
    }

    /// The file's exceptions to the bank holidays by rule.
    var bankHolidayExceptions: BankHolidays {
        BankHolidays(
            added: Set(addedBankHolidays.map(\.date) + movedBankHolidays.map(\.to)),
            removed: Set(removedBankHolidays.map(\.date) + movedBankHolidays.map(\.from)))
    }

    static let keys = Set(CodingKeys.allCases.map(\.rawValue))

    /// A problem with the file's content, at a path of keys and indices (for its line).
    struct Problem: Error {
        var path: [PathElement]
        var message: String
    }

    enum PathElement: Equatable {
        case key(String)
        case index(Int)
    }

    /// Checks what decoding cannot: date order, breaks inside their term, terms inside the
    /// declared academic year, terms that do not overlap.
    func validate() throws(Problem) {
        for (i, t) in terms.enumerated() {
            let at: [PathElement] = [.key("terms"), .index(i)]
            guard t.start <= t.end else { throw Problem(path: at, message: "term \(t.name) ends before it starts") }
            if let y = academicYear, !(y.contains(t.start) && y.contains(t.end)) {
                throw Problem(path: at, message: "term \(t.name) is not inside the academic year \(y)")
            }
            for (j, b) in t.breaks.enumerated() {
                let bat = at + [.key("breaks"), .index(j)]
                guard b.start <= b.end else { throw Problem(path: bat, message: "break \(b.name) ends before it starts") }
                guard t.contains(b.start), t.contains(b.end) else {
                    throw Problem(path: bat, message: "break \(b.name) is not inside term \(t.name)")
                }
            }
        }
        let sorted = terms.enumerated().sorted { $0.element.start < $1.element.start }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.element.start <= a.element.end {
            throw Problem(
                path: [.key("terms"), .index(b.offset)],
                message: "term \(b.element.name) overlaps term \(a.element.name)"
            )
        }
        for (i, e) in examPeriods.enumerated() where e.start > e.end {
            throw Problem(path: [.key("examPeriods"), .index(i)], message: "exam period \(e.name) ends before it starts")
        }
        for (i, e) in testPeriods.enumerated() where e.start > e.end {
            throw Problem(path: [.key("testPeriods"), .index(i)], message: "test period \(e.name) ends before it starts")
        }
        for (i, r) in removedBankHolidays.enumerated() where !BankHolidays.isBankHolidayByRule(r.date) {
            throw Problem(
                path: [.key("removedBankHolidays"), .index(i)],
                message: "\(r.date) is not a bank holiday by rule, so it cannot be removed")
        }
        for (i, m) in movedBankHolidays.enumerated() where !BankHolidays.isBankHolidayByRule(m.from) {
            throw Problem(
                path: [.key("movedBankHolidays"), .index(i)],
                message: "\(m.from) is not a bank holiday by rule, so it cannot be moved")
        }
    }
}
