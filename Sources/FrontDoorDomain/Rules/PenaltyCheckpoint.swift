import Foundation

/// What the penalty rules have settled about a pupil's sessions up to a date (issue 10): no
/// session dated on or before ``through`` raises a review, whichever kind of trigger, and
/// every mark dated on or before it is past its `N` grace, so none of them can start to count.
///
/// A pupil's later batch whose marks are all dated after ``through``, under the same
/// enforcement history, characteristics, thresholds and look-back (``admits(_:digest:lookback:)``),
/// can then only trigger on a later session. Such a session's `england-2024` window reaches no
/// further back than the window of ``through``'s own week, and `kent-2016` needs the year's
/// figures, which the checkpoint carries. So the rules read the pupil's marks from ``readFrom``
/// instead of the year's look-back: at most the window's ten school weeks plus the days since
/// ``through``, whatever the time of year
/// (``PenaltyRules/evaluate(upn:marks:pupil:history:context:pending:lookback:resuming:settings:)``).
///
/// The full evaluation stays the oracle: `PenaltyCheckpointPropertyTests` feeds random streams
/// through both and requires the same decisions, audit and checkpoints.
public struct PenaltyCheckpoint: Hashable, Sendable, Codable {
    /// No session on or before this date triggers, and every mark on or before it is settled.
    public var through: LocalDate
    /// The first date the rules must read to judge a session after ``through``: the Monday of
    /// the first school week of ``through``'s `england-2024` window (earlier while a notice to
    /// improve's improvement period runs: from the notice), never before ``lookback``.
    public var readFrom: LocalDate
    /// The first date of the marks the checkpoint was made from (``AttendanceLookback/from(_:context:)``
    /// of the batch's earliest year): a batch read from another look-back is judged in full.
    public var lookback: LocalDate
    /// The pupil's sessions (``AttendanceRules/pupilSessions(_:)``) of ``through``'s academic
    /// year on or before ``through``: the year-to-date figures `kent-2016` judges and every
    /// review reports.
    public var yearStats: AttendanceStatistics
    /// The date of the pupil's first session of that year (`kent-2016`'s `windowStart`).
    public var yearFirstDay: LocalDate?
    /// ``digest(pupil:history:context:settings:)`` of what the checkpoint was made under.
    public var digest: String

    public init(
        through: LocalDate, readFrom: LocalDate, lookback: LocalDate, yearStats: AttendanceStatistics,
        yearFirstDay: LocalDate?, digest: String
    ) {
        self.through = through
        self.readFrom = readFrom
        self.lookback = lookback
        self.yearStats = yearStats
        self.yearFirstDay = yearFirstDay
        self.digest = digest
    }

    /// A digest of everything other than the marks the penalty rules read: the enforcement
    /// history, the characteristics compulsory school age and the looked-after route read, and
    /// ``settingsDigest(_:)`` (pass it when judging many pupils: it is the same for all). A
    /// change to any of them has the pupil judged in full again.
    public static func digest(
        pupil: PupilProfile, history: EnforcementHistory, context: RuleContext, settings: String? = nil
    ) -> String {
        var parts = [
            settings ?? settingsDigest(context), "open:\(history.hasOpenReview)",
            "last:\(history.lastDecisionOn?.description ?? "-")", "withdrawn:\(history.withdrawnReviews)", "cla:\(pupil.cla)",
            "year-group:\(pupil.yearGroup.map(String.init) ?? "-")", "dob:\(pupil.dateOfBirth?.description ?? "-")",
        ]
        parts += history.decisions.map {
            "decision:\($0.caseId):\($0.decision.rawValue):\($0.decidedOn):\($0.parentRef):\($0.amountPence.map(String.init) ?? "-")"
        }.sorted()
        return StableID.make(parts)
    }

    /// The thresholds, schedule and exam periods the penalty rules read, as a digest: written
    /// out by reflection, so worth computing once per batch rather than per pupil (it was a
    /// third of the penalty rules' time on a late-year morning).
    public static func settingsDigest(_ context: RuleContext) -> String {
        let c = context.config
        return StableID.make([
            "penalty-checkpoint-1", "spans:\(c.penaltyRulesets.spans)", "kent:\(c.kent2016)", "england:\(c.england2024)",
            "min:\(c.minimumPossibleSessions)", "grace:\(c.nGraceSchoolDays)", "exams:\(context.calendar.examPeriods)",
        ])
    }

    /// Whether a batch bringing `marks` (the pupil's) may be judged from this checkpoint: the
    /// same digest and look-back, and every mark dated after ``through`` (a mark on or before it
    /// could change a session already judged, or settle differently).
    public func admits(_ marks: [MarkEvent], digest: String, lookback: LocalDate) -> Bool {
        digest == self.digest && lookback == self.lookback && marks.allSatisfy { $0.date > through }
    }
}

extension PenaltyRules {
    /// ``evaluate(upn:marks:pupil:history:context:pending:)``, resuming from a checkpoint when
    /// one is given, and the checkpoint the next batch may resume from.
    ///
    /// - Parameters:
    ///   - marks: the pupil's counted marks from `lookback` (no checkpoint) or from
    ///     `resuming.readFrom` (a checkpoint whose ``PenaltyCheckpoint/admits(_:digest:lookback:)``
    ///     held for the batch).
    ///   - lookback: the first date of the look-back the batch is judged under.
    ///   - settings: ``PenaltyCheckpoint/settingsDigest(_:)`` of `context`, if at hand.
    /// - Returns: the assessment, the same as the full evaluation's; and a checkpoint when
    ///   nothing triggered (no review, task or compulsory-school-age audit: a pupil with one is
    ///   judged in full next time), nil otherwise.
    public static func evaluate(
        upn: UPN, marks: [CountedMark], pupil: PupilProfile, history: EnforcementHistory, context: RuleContext,
        pending: Set<MarkSlot>, lookback: LocalDate, resuming seed: PenaltyCheckpoint?, settings: String? = nil
    ) -> (assessment: PenaltyAssessment, checkpoint: PenaltyCheckpoint?) {
        let ordered = marks.filter { $0.upn == upn }.sorted { $0.slot < $1.slot }
        let assessment = assess(
            upn: upn, ordered: ordered, pupil: pupil, history: history, context: context, pending: pending, seed: seed)
        guard assessment.decision == nil, assessment.audit.isEmpty, !history.hasOpenReview else { return (assessment, nil) }
        let next = checkpoint(
            ordered: ordered, pending: pending,
            digest: PenaltyCheckpoint.digest(pupil: pupil, history: history, context: context, settings: settings),
            history: history, lookback: lookback, seed: seed, context: context)
        return (assessment, next)
    }

    /// The checkpoint after an assessment that found no trigger on `ordered`.
    static func checkpoint(
        ordered: [CountedMark], pending: Set<MarkSlot>, digest: String, history: EnforcementHistory, lookback: LocalDate,
        seed: PenaltyCheckpoint?, context: RuleContext
    ) -> PenaltyCheckpoint? {
        guard let last = ordered.last?.date else { return seed }
        // Every mark on or before `through` is settled: an `N` still in its grace could start
        // to count, and trigger on its own date.
        var through = last
        if let firstPending = pending.map(\.date).min(), firstPending <= through { through = firstPending.adding(days: -1) }
        if let seed, through <= seed.through { return seed }
        let year = AcademicYear(containing: through)
        // Through's year from its first day: in full from a look-back before it, or all after the seed.
        guard seed != nil || lookback <= year.firstDay else { return nil }
        let fromSeed = seed.flatMap { $0.yearStats.academicYear == year ? $0 : nil }
        var stats = fromSeed?.yearStats ?? AttendanceStatistics(academicYear: year)
        var firstDay = fromSeed?.yearFirstDay
        for m in ordered where year.contains(m.date) && m.date <= through {
            if let fromSeed, m.date <= fromSeed.through { continue }
            if firstDay == nil { firstDay = m.date }
            stats.add(m)
        }
        // The window of `through`'s week: a later session's window starts no earlier. The
        // weeks read from a seed's `readFrom` are the full list's from that week on, so the
        // index is right wherever the window starts at or after it.
        let weeks = SchoolCalendar.schoolWeeks(containing: ordered.filter { $0.code.code != "#" }.map(\.date))
        let windowWeeks = max(1, context.config.england2024.windowWeeks)
        var readFrom: LocalDate
        if let k = weeks.lastIndex(where: { $0 <= through.mondayOfWeek }) {
            readFrom = weeks[max(0, k - (windowWeeks - 1))]
        } else {
            readFrom = seed?.readFrom ?? lookback
        }
        if let seed, readFrom < seed.readFrom { readFrom = seed.readFrom }
        // While a notice to improve's improvement period runs, a review it raises starts its
        // window on the day of the notice and reports the school weeks since: read from the
        // Monday of its week (a whole week, or the week would be missing from the school weeks
        // read and every later week's index one short).
        for span in context.config.penaltyRulesets.spans where span.ruleset == .england2024 {
            if let period = improvementPeriod(history: history, span: span, context: context), period.through > through {
                readFrom = min(readFrom, period.noticeOn.mondayOfWeek)
            }
        }
        return PenaltyCheckpoint(
            through: through, readFrom: max(lookback, readFrom), lookback: lookback, yearStats: stats, yearFirstDay: firstDay,
            digest: digest)
    }
}

extension PenaltyCheckpoint {
    /// The checkpoint as JSON, in the form its `Codable` conformance reads (keys sorted, the
    /// dates `yyyy-MM-dd`), written directly: the worker stores one for every pupil it first
    /// meets, and Foundation's encoder took a tenth of an empty-database batch.
    public var jsonText: String {
        func quoted(_ s: String) -> String {
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case _ where u.value < 0x20:
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(u)
                }
            }
            return out + "\""
        }
        func counts(_ d: [String: Int]) -> String {
            "{" + d.sorted { $0.key < $1.key }.map { "\(quoted($0.key)):\($0.value)" }.joined(separator: ",") + "}"
        }
        let s = yearStats
        let stats =
            "{\"absenceByReason\":\(counts(s.absenceByReason)),\"academicYear\":\(quoted(s.academicYear.description)),"
            + "\"attending\":\(s.attending),\"authorised\":\(s.authorised),\"notCounted\":\(s.notCounted),"
            + "\"possible\":\(s.possible),\"present\":\(s.present),\"sessionsByCode\":\(counts(s.sessionsByCode)),"
            + "\"unauthorised\":\(s.unauthorised)}"
        return "{\"digest\":\(quoted(digest)),\"lookback\":\"\(lookback)\",\"readFrom\":\"\(readFrom)\",\"through\":\"\(through)\","
            + (yearFirstDay.map { "\"yearFirstDay\":\"\($0)\"," } ?? "") + "\"yearStats\":\(stats)}"
    }
}
