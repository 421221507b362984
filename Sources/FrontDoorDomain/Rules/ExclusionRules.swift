import Foundation

/// An `exclusion.issued.v1`, with its `exclusion.rescinded.v1` if one arrived.
public struct ExclusionFact: Hashable, Sendable {
    public struct Rescission: Hashable, Sendable {
        public var outcome: RescindOutcome
        public var effectiveDate: LocalDate
        public init(outcome: RescindOutcome, effectiveDate: LocalDate) {
            self.outcome = outcome
            self.effectiveDate = effectiveDate
        }
    }

    /// The school's id, unique within its LAESTAB.
    public var exclusionId: String
    public var laestab: LAESTAB
    public var upn: UPN
    public var category: ExclusionCategory
    public var startDate: LocalDate
    /// Half-day sessions (a lunchtime suspension is one); 0 for a permanent exclusion.
    public var sessions: Int
    public var reason: ExclusionReason
    /// `time` of the `exclusion.issued.v1`: when the school gave notice.
    public var issuedAt: Date
    /// Set when rescinded: the exclusion stays on record but out of every figure and rule.
    public var rescinded: Rescission?

    public init(
        exclusionId: String, laestab: LAESTAB, upn: UPN, category: ExclusionCategory, startDate: LocalDate,
        sessions: Int, reason: ExclusionReason, issuedAt: Date, rescinded: Rescission? = nil
    ) {
        self.exclusionId = exclusionId
        self.laestab = laestab
        self.upn = upn
        self.category = category
        self.startDate = startDate
        self.sessions = sessions
        self.reason = reason
        self.issuedAt = issuedAt
        self.rescinded = rescinded
    }

    /// From the events: the issued one (and its envelope's `time`) and the rescission, if any.
    public init(issued x: ExclusionIssued, issuedAt: Date, rescinded r: ExclusionRescinded? = nil) {
        self.init(
            exclusionId: x.exclusionId, laestab: x.laestab, upn: x.upn, category: x.category, startDate: x.startDate,
            sessions: x.category == .permanent ? 0 : (x.sessions ?? 0), reason: x.reason, issuedAt: issuedAt,
            rescinded: r.map { Rescission(outcome: $0.outcome, effectiveDate: $0.effectiveDate) })
    }

    /// The day notice was given: the date in England of the issued event's `time`.
    public var noticeDate: LocalDate { LondonDate.of(issuedAt) }
    public var isActive: Bool { rescinded == nil }
    /// School days covered: `ceil(sessions / 2)`.
    public var schoolDays: Int { (sessions + 1) / 2 }
    /// Key parts identifying the exclusion: `[laestab, exclusionId]`.
    public var key: [String] { [laestab.value, exclusionId] }
}

/// Why a governing board must consider an exclusion.
public enum BoardReviewGround: String, Hashable, Sendable, Codable, CaseIterable {
    case permanentExclusion = "permanent-exclusion"
    /// The suspension brings the pupil's suspensions in the term to more than 15 school days.
    case moreThan15DaysInTerm = "suspensions-over-15-days-in-term"
    /// The suspension covers a day of a public exam period.
    case publicExamMissed = "public-exam-missed"
}

/// A governing board review due on an exclusion; `dueBy` goes on the case.
public struct GoverningBoardReview: Hashable, Sendable {
    public var exclusionId: String
    public var laestab: LAESTAB
    public var grounds: [BoardReviewGround]
    public var noticeDate: LocalDate
    /// The `reviewDueSchoolDays`th (15th) LA school day after the notice date.
    public var dueBy: LocalDate
}

/// What the exclusion rules decide for one pupil and academic year.
public struct ExclusionAssessment: Hashable, Sendable {
    public var upn: UPN
    public var academicYear: AcademicYear
    /// Suspensions that count (not rescinded).
    public var suspensions: Int
    /// Their sessions; school days are half this (a lunchtime suspension counts one session).
    public var suspensionSessions: Int
    public var permanentExclusions: Int
    /// Rescinded exclusions: on record, in no figure.
    public var rescinded: [ExclusionFact]
    /// Suspensions that pass the 45-day (90-session) cap: each a statutory breach.
    public var statutoryBreaches: [ExclusionFact]
    public var boardReviews: [GoverningBoardReview]
    public var notifications: [EarlyHelpNotification]
    public var audit: [AuditEntry]

    /// `suspensionSessions / 2` as text, e.g. `"22.5"`.
    public var suspensionDaysDisplay: String { "\(suspensionSessions / 2)" + (suspensionSessions % 2 == 1 ? ".5" : "") }
}

public enum ExclusionRules {
    /// The LA school days a suspension covers: `ceil(sessions / 2)` days, the start date
    /// being the first (even when it is not an LA school day, since schools keep their own
    /// terms) and then the following LA school days. Used for exam-period overlap.
    public static func daysCovered(by e: ExclusionFact, calendar: SchoolCalendar) -> [LocalDate] {
        guard e.category == .suspension, e.sessions > 0 else { return [e.startDate] }
        var days = [e.startDate]
        var d = e.startDate
        while days.count < e.schoolDays {
            d = calendar.schoolDay(1, after: d)
            days.append(d)
        }
        return days
    }

    /// The day full-time education must begin after a permanent exclusion: the
    /// `permanentExclusionDutyDay`th (6th) school day *of the exclusion* (DfE: "no later than
    /// the sixth school day of the exclusion"), counting the start date as the first when
    /// it is an LA school day. A permanent exclusion starting on Monday 2 November 2026 is due
    /// on Monday 9 November.
    public static func provisionDueDate(start: LocalDate, context: RuleContext) -> LocalDate {
        let n = context.config.permanentExclusionDutyDay
        return context.calendar.isSchoolDay(start)
            ? context.calendar.schoolDay(n - 1, after: start) : context.calendar.schoolDay(n, after: start)
    }

    /// The term a day of a suspension counts in (``TermlyReview``): the LA term containing
    /// it; in a holiday between terms (a start date a school keeps as a school day), the
    /// term before; outside any configured term, the academic year is the bucket.
    static func termKey(_ d: LocalDate, calendar: SchoolCalendar) -> String {
        if let t = calendar.term(containing: d) { return "\(t.name)@\(t.start)" }
        if let t = calendar.terms.last(where: { $0.start <= d && AcademicYear(containing: $0.start) == AcademicYear(containing: d) }) {
            return "\(t.name)@\(t.start)"
        }
        return "year@\(AcademicYear(containing: d))"
    }

    /// Exclusion rules (domain.md, "Exclusion rules") over a pupil's exclusions with days in
    /// the exclusion year `academicYear` (``ExclusionYear``: from 1 August), replayed in order
    /// of start date, then notice time, school and id. Rescinded exclusions are listed and
    /// otherwise ignored. Pass the exclusions of the year before too: a suspension from July
    /// into September counts its September days here.
    ///
    /// - Repeated suspensions: the `suspensionCountThreshold`th (3rd) suspension starting in
    ///   the year, at any school, raises `suspensions-threshold` once a year (id key `count`).
    /// - 45-day cap, per school (``SuspensionCap``): the suspension that brings a school's
    ///   total to `suspensionDayCap` × 2 (90) sessions or more raises `suspensions-threshold`
    ///   once a year per school (id key `cap`, the school); each suspension after which that
    ///   total is above the cap is a statutory breach and raises its own `urgent`
    ///   `suspensions-threshold` (id key `breach`, the exclusion). Count and cap are separate
    ///   notifications because they ask different things of the unit (prevention vs. a
    ///   legal limit); one suspension may raise both.
    /// - Governing board review due within `reviewDueSchoolDays` (15) school days of the
    ///   notice date for a permanent exclusion, for each suspension after which a term's
    ///   suspensions at its school total more than `reviewSuspensionSchoolDaysPerTerm` (15)
    ///   days (``TermlyReview``), and for a suspension covering a day of an exam or test
    ///   period the pupil's year group sits (``ExamGround``).
    /// - Permanent exclusion: `permanent-exclusion`, `urgent` when EHCP or looked after,
    ///   else `high`, due on the 6th school day (``provisionDueDate(start:context:)``).
    /// - Vulnerable suspension: every suspension of a pupil with an EHC plan or looked after
    ///   raises `vulnerable-exclusion`.
    ///
    /// Notifications and reviews belong to the year the exclusion starts in; a suspension's
    /// days in the next year count there without raising its own notifications again.
    public static func assess(
        upn: UPN, exclusions: [ExclusionFact], academicYear: AcademicYear, pupil: PupilProfile, context: RuleContext
    ) -> ExclusionAssessment {
        let config = context.config
        let calendar = context.calendar
        let policy = context.policy
        let year = academicYear.description
        let all = exclusions.filter { $0.upn == upn && ExclusionYear.years(of: $0, calendar: calendar).contains(academicYear) }
            .sorted { a, b in
                (a.startDate, a.issuedAt, a.laestab, a.exclusionId) < (b.startDate, b.issuedAt, b.laestab, b.exclusionId)
            }
        let active = all.filter(\.isActive)

        var suspensions = 0
        var sessions = 0
        var permanent = 0
        var cap = SuspensionCap(config: config)
        var termly = TermlyReview(config: config)
        var breaches: [ExclusionFact] = []
        var reviews: [GoverningBoardReview] = []
        var notifications: [EarlyHelpNotification] = []
        var audit: [AuditEntry] = []

        func notify(
            _ kind: NotificationKind, key: [String], caseId: String, e: ExclusionFact, priority: Priority, due: LocalDate,
            reasons: [String], rule: String, figures: [String: String]
        ) {
            notifications.append(
                NotificationDecisions.make(
                    kind, key: key, caseId: caseId, upn: upn, laestab: e.laestab, priority: priority, dueBy: due,
                    reasons: reasons + pupil.reasonTags, createdAt: e.issuedAt, context: context))
            audit.append(
                AuditEntry(
                    rule: rule, decision: "notify", key: key, upn: upn, caseId: caseId, figures: figures, at: e.issuedAt))
        }

        for e in active {
            let notice = e.noticeDate
            // Whether the exclusion starts in this year (its notifications are this year's).
            let owned = ExclusionYear.containing(e.startDate) == academicYear
            var grounds: [BoardReviewGround] = []
            var figures = [
                "exclusion": "\(e.laestab)/\(e.exclusionId)", "category": e.category.rawValue,
                "start-date": e.startDate.description, "sessions": String(e.sessions), "reason": e.reason.rawValue,
            ]

            switch e.category {
            case .permanent:
                guard owned else { continue }
                permanent += 1
                grounds.append(.permanentExclusion)
                let caseId = StableID.make("case", NotificationKind.permanentExclusion.rawValue, e.laestab.value, e.exclusionId)
                let due = provisionDueDate(start: e.startDate, context: context)
                figures["provision-due"] = due.description
                notify(
                    .permanentExclusion, key: e.key, caseId: caseId, e: e,
                    priority: NotificationDecisions.permanentExclusionPriority(pupil), due: due,
                    reasons: ["reason-code:\(e.reason.rawValue)"], rule: "permanent-exclusion", figures: figures)

            case .suspension:
                let inYear = ExclusionYear.sessions(of: e, in: academicYear, calendar: calendar)
                if owned { suspensions += 1 }
                sessions += inYear
                let step = cap.add(inYear, at: e.laestab)
                let term = termly.add(e, in: academicYear, calendar: calendar)
                figures["suspensions"] = String(suspensions)
                figures["suspension-sessions"] = String(sessions)
                figures["sessions-in-year"] = String(inYear)
                figures["school-sessions"] = String(step.after)
                figures["term-sessions"] = String(term.termSessions)
                let thresholdCase = NotificationDecisions.pupilCaseId(.suspensionsThreshold, upn: upn, academicYear: academicYear)
                let dueThreshold = calendar.schoolDay(policy.suspensionsThresholdDueSchoolDays, after: notice)
                let dayText = SuspensionCap.days(sessions)
                let schoolDayText = SuspensionCap.days(step.after)

                if owned && suspensions == config.suspensionCountThreshold {
                    notify(
                        .suspensionsThreshold, key: [upn.value, year, "count"], caseId: thresholdCase, e: e,
                        priority: NotificationDecisions.suspensionsThresholdPriority(breach: false), due: dueThreshold,
                        reasons: ["suspensions:\(suspensions)", "suspension-days:\(dayText)"],
                        rule: "repeated-suspensions", figures: figures)
                }
                if step.reachesCap {
                    notify(
                        .suspensionsThreshold, key: [upn.value, year, "cap", e.laestab.value], caseId: thresholdCase, e: e,
                        priority: NotificationDecisions.suspensionsThresholdPriority(breach: false), due: dueThreshold,
                        reasons: ["suspension-days:\(schoolDayText)", "cap-reached"], rule: "suspension-cap",
                        figures: figures)
                }
                if step.isBreach {
                    breaches.append(e)
                    notify(
                        .suspensionsThreshold, key: [upn.value, year, "breach"] + e.key, caseId: thresholdCase, e: e,
                        priority: NotificationDecisions.suspensionsThresholdPriority(breach: true),
                        due: calendar.schoolDay(policy.statutoryBreachDueSchoolDays, after: notice),
                        reasons: ["suspension-days:\(schoolDayText)", "statutory-breach"], rule: "suspension-cap-breach",
                        figures: figures)
                }
                guard owned else { continue }
                if term.exceeded { grounds.append(.moreThan15DaysInTerm) }
                if let missed = ExamGround.missedPeriod(e, pupil: pupil, calendar: calendar) {
                    grounds.append(.publicExamMissed)
                    figures["exam-period"] = missed.name
                    figures["year-group"] = pupil.yearGroup.map(String.init) ?? "unknown"
                }
                if pupil.hasEHCP || pupil.cla {
                    notify(
                        .vulnerableExclusion, key: e.key,
                        caseId: NotificationDecisions.pupilCaseId(.vulnerableExclusion, upn: upn, academicYear: academicYear),
                        e: e, priority: NotificationDecisions.vulnerableExclusionPriority(pupil),
                        due: calendar.schoolDay(policy.vulnerableExclusionDueSchoolDays, after: notice),
                        reasons: ["suspension-sessions:\(e.sessions)", "reason-code:\(e.reason.rawValue)"],
                        rule: "vulnerable-suspension", figures: figures)
                }
            }

            if !grounds.isEmpty {
                let due = calendar.schoolDay(config.reviewDueSchoolDays, after: notice)
                reviews.append(
                    GoverningBoardReview(
                        exclusionId: e.exclusionId, laestab: e.laestab, grounds: grounds, noticeDate: notice, dueBy: due))
                var f = figures
                f["grounds"] = grounds.map(\.rawValue).joined(separator: ",")
                f["notice-date"] = notice.description
                f["due-by"] = due.description
                audit.append(
                    AuditEntry(
                        rule: "governing-board-review", decision: "review-due", key: e.key, upn: upn, caseId: nil,
                        figures: f, at: e.issuedAt))
            }
        }
        for e in all {
            guard let rescinded = e.rescinded else { continue }  // only rescinded (inactive) ones
            audit.append(
                AuditEntry(
                    rule: "exclusion-record", decision: "rescinded-excluded-from-figures", key: e.key, upn: upn,
                    caseId: nil,
                    figures: [
                        "exclusion": "\(e.laestab)/\(e.exclusionId)", "outcome": rescinded.outcome.rawValue,
                        "effective-date": rescinded.effectiveDate.description,
                    ], at: e.issuedAt))
        }
        return ExclusionAssessment(
            upn: upn, academicYear: academicYear, suspensions: suspensions, suspensionSessions: sessions,
            permanentExclusions: permanent, rescinded: all.filter { !$0.isActive }, statutoryBreaches: breaches,
            boardReviews: reviews, notifications: notifications, audit: audit)
    }
}
