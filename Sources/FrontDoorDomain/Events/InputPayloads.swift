/// The event types of events.md, input and output.
public enum EventType: String, Sendable, Hashable, Codable, CaseIterable {
    case attendanceMark = "attendance.mark.v1"
    case exclusionIssued = "exclusion.issued.v1"
    case exclusionRescinded = "exclusion.rescinded.v1"
    case referralReceived = "referral.received.v1"
    case referralResolved = "referral.resolved.v1"
    case enforcementDecision = "enforcement.decision.v1"
    case rollChange = "roll.change.v1"
    case earlyHelpNotification = "earlyhelp.notification.v1"
    case enforcementReview = "enforcement.review.v1"
    case enforcementReviewWithdrawn = "enforcement.review-withdrawn.v1"

    /// The seven types frontdoor consumes.
    public static let inputs: [EventType] = [
        .attendanceMark, .exclusionIssued, .exclusionRescinded, .referralReceived, .referralResolved,
        .enforcementDecision, .rollChange,
    ]
    /// The three types frontdoor publishes.
    public static let outputs: [EventType] = [.earlyHelpNotification, .enforcementReview, .enforcementReviewWithdrawn]
}

/// A pupil's special educational needs status (`sen`).
public enum SENStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// `N`: no special educational needs.
    case none = "N"
    /// `K`: SEN support.
    case senSupport = "K"
    /// `E`: an education, health and care plan.
    case ehcPlan = "E"
}

/// Characteristics a school sends with a mark or exclusion (`pupil`). Every field is
/// optional: a field that is absent leaves what is stored unchanged.
public struct PupilCharacteristics: Sendable, Hashable, Codable {
    /// National curriculum year: 0 is Reception, 1–14 Years 1–14.
    public var yearGroup: Int?
    /// Eligible for free school meals.
    public var fsm: Bool?
    public var sen: SENStatus?
    /// Looked after (a child in care).
    public var cla: Bool?
    /// Optional on marks, exclusions and roll changes; judges compulsory school age.
    public var dateOfBirth: LocalDate?
    /// On a child-protection plan (`cpp`): a deletion for elective home education then needs
    /// the LA's consent first (`ehe-consent-required`).
    public var cpp: Bool?

    public init(
        yearGroup: Int? = nil, fsm: Bool? = nil, sen: SENStatus? = nil, cla: Bool? = nil, dateOfBirth: LocalDate? = nil,
        cpp: Bool? = nil
    ) {
        self.yearGroup = yearGroup
        self.fsm = fsm
        self.sen = sen
        self.cla = cla
        self.dateOfBirth = dateOfBirth
        self.cpp = cpp
    }

    /// Vulnerable for the `persistent-absence` notification: FSM, SEN support, EHCP or looked after.
    public var isVulnerable: Bool { fsm == true || sen == .senSupport || sen == .ehcPlan || cla == true }
}

/// `data` of `attendance.mark.v1`: one pupil, one session.
public struct AttendanceMark: Sendable, Hashable {
    public var upn: UPN
    public var laestab: LAESTAB
    public var date: LocalDate
    public var session: Session
    /// Valid for ``date`` (the 2024 or the pre-2024 set), with its category.
    public var code: RegisterCode
    public var minutesLate: Int?
    public var pupil: PupilCharacteristics?

    public init(
        upn: UPN, laestab: LAESTAB, date: LocalDate, session: Session, code: RegisterCode, minutesLate: Int? = nil,
        pupil: PupilCharacteristics? = nil
    ) {
        self.upn = upn
        self.laestab = laestab
        self.date = date
        self.session = session
        self.code = code
        self.minutesLate = minutesLate
        self.pupil = pupil
    }
}

public enum ExclusionCategory: String, Sendable, Hashable, Codable, CaseIterable {
    case suspension
    case permanent
}

/// The DfE's exclusion reason codes (school census), with the legacy `PD` and `OT`.
public enum ExclusionReason: String, Sendable, Hashable, Codable, CaseIterable {
    case physicalAssaultPupil = "PP"
    case physicalAssaultAdult = "PA"
    case verbalAbusePupil = "VP"
    case verbalAbuseAdult = "VA"
    case bullying = "BU"
    case racistAbuse = "RA"
    case lgbtAbuse = "LG"
    case disabilityAbuse = "DS"
    case sexualMisconduct = "SM"
    case drugAndAlcohol = "DA"
    case damage = "DM"
    case theft = "TH"
    case persistentDisruptiveBehaviour = "DB"
    /// Inappropriate use of social media or online technology.
    case socialMediaOrOnlineTechnology = "MT"
    /// Use, or threat of use, of an offensive weapon or prohibited item.
    case offensiveWeapon = "OW"
    /// Wilful and repeated transgression of protective measures to protect public health.
    case publicHealthMeasures = "PH"
    /// Legacy (before 2020/21): persistent disruptive behaviour.
    case legacyPersistentDisruptive = "PD"
    /// Legacy (before 2020/21): other.
    case legacyOther = "OT"

    /// Whether the code is only in the pre-2020 list.
    public var isLegacy: Bool { self == .legacyPersistentDisruptive || self == .legacyOther }

    /// The first start date for which the legacy codes are no longer accepted: the DfE's
    /// reason list changed for exclusions from the 2020/21 census year, which counts from
    /// 1 August 2020 (domain.md: "`PD` and `OT` only for exclusions starting before 2020-08-01").
    /// Built without a failable step: 1 August exists in every year.
    public static let legacyReasonsEnd = LocalDate(anyYear: 2020, month: 8, dayInMonth: 1)

    /// Whether the reason may be given for an exclusion starting on `startDate`.
    public func isInUse(forExclusionStarting startDate: LocalDate) -> Bool {
        !isLegacy || startDate < Self.legacyReasonsEnd
    }
}

/// `data` of `exclusion.issued.v1`.
public struct ExclusionIssued: Sendable, Hashable {
    /// The school's id, unique within its LAESTAB.
    public var exclusionId: String
    public var upn: UPN
    public var laestab: LAESTAB
    public var category: ExclusionCategory
    public var startDate: LocalDate
    /// Half-day sessions; always present (≥ 1) for a suspension, optional for a permanent exclusion.
    public var sessions: Int?
    public var reason: ExclusionReason
    public var pupil: PupilCharacteristics?

    public init(
        exclusionId: String, upn: UPN, laestab: LAESTAB, category: ExclusionCategory, startDate: LocalDate,
        sessions: Int?, reason: ExclusionReason, pupil: PupilCharacteristics? = nil
    ) {
        self.exclusionId = exclusionId
        self.upn = upn
        self.laestab = laestab
        self.category = category
        self.startDate = startDate
        self.sessions = sessions
        self.reason = reason
        self.pupil = pupil
    }
}

public enum RescindOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case reinstatedByGovernors = "reinstated-by-governors"
    case withdrawnByHeadteacher = "withdrawn-by-headteacher"
    case independentReview = "independent-review"
}

/// `data` of `exclusion.rescinded.v1`.
public struct ExclusionRescinded: Sendable, Hashable {
    public var exclusionId: String
    public var laestab: LAESTAB
    public var upn: UPN
    public var outcome: RescindOutcome
    public var effectiveDate: LocalDate

    public init(exclusionId: String, laestab: LAESTAB, upn: UPN, outcome: RescindOutcome, effectiveDate: LocalDate) {
        self.exclusionId = exclusionId
        self.laestab = laestab
        self.upn = upn
        self.outcome = outcome
        self.effectiveDate = effectiveDate
    }
}

public enum ReferralReason: String, Sendable, Hashable, Codable, CaseIterable {
    case cme
    case exclusionRisk = "exclusion-risk"
    case persistentAbsence = "persistent-absence"
    case attendanceConcern = "attendance-concern"
    case reintegration
}

public enum ReferrerKind: String, Sendable, Hashable, Codable, CaseIterable {
    case school
    case police
    case health
    case socialCare = "social-care"
    case earlyHelp = "early-help"
    case other
}

public struct Referrer: Sendable, Hashable, Codable {
    public var kind: ReferrerKind
    /// The referring organisation's name (not a person's).
    public var organisation: String
    public init(kind: ReferrerKind, organisation: String) {
        self.kind = kind
        self.organisation = organisation
    }
}

/// The child a referral is about. Personal data: stored, never logged.
public struct ReferredChild: Sendable, Hashable, Codable {
    public var givenName: String
    public var familyName: String
    public var dateOfBirth: LocalDate
    public var postcode: String?
    public var yearGroup: Int?
    public var fsm: Bool?
    public var sen: SENStatus?
    public var cla: Bool?

    public init(
        givenName: String, familyName: String, dateOfBirth: LocalDate, postcode: String? = nil, yearGroup: Int? = nil,
        fsm: Bool? = nil, sen: SENStatus? = nil, cla: Bool? = nil
    ) {
        self.givenName = givenName
        self.familyName = familyName
        self.dateOfBirth = dateOfBirth
        self.postcode = postcode
        self.yearGroup = yearGroup
        self.fsm = fsm
        self.sen = sen
        self.cla = cla
    }

    /// The key a child without a UPN is matched on: family name, given name and date of
    /// birth, trimmed and case-insensitive (domain.md, "Referral triage").
    public var matchKey: String {
        func norm(_ s: String) -> String {
            s.split(whereSeparator: \.isWhitespace).joined(separator: " ").lowercased()
        }
        return "\(norm(familyName))|\(norm(givenName))|\(dateOfBirth)"
    }
}

/// `data` of `referral.received.v1`.
public struct ReferralReceived: Sendable, Hashable {
    public var referralId: String
    public var reason: ReferralReason
    public var upn: UPN?
    /// The referring or last school.
    public var laestab: LAESTAB?
    public var referrer: Referrer
    public var child: ReferredChild
    public var safeguardingConcern: Bool
    public var lastSeenDate: LocalDate?
    /// Free text, at most 4,000 characters. Personal data: stored, never logged.
    public var details: String?

    public init(
        referralId: String, reason: ReferralReason, upn: UPN?, laestab: LAESTAB?, referrer: Referrer,
        child: ReferredChild, safeguardingConcern: Bool, lastSeenDate: LocalDate? = nil, details: String? = nil
    ) {
        self.referralId = referralId
        self.reason = reason
        self.upn = upn
        self.laestab = laestab
        self.referrer = referrer
        self.child = child
        self.safeguardingConcern = safeguardingConcern
        self.lastSeenDate = lastSeenDate
        self.details = details
    }
}

public enum ReferralOutcome: String, Sendable, Hashable, Codable, CaseIterable {
    case returnedToSchool = "returned-to-school"
    case foundNewSchool = "found-new-school"
    case movedOutOfArea = "moved-out-of-area"
    case electiveHomeEducation = "elective-home-education"
    case notFound = "not-found"
    case noFurtherAction = "no-further-action"

    /// Whether a CME case resolved with this outcome counts as found (every outcome but `not-found`).
    public var countsAsFound: Bool { self != .notFound }
}

/// `data` of `referral.resolved.v1`.
public struct ReferralResolved: Sendable, Hashable {
    public var referralId: String
    public var outcome: ReferralOutcome
    public var resolvedOn: LocalDate

    public init(referralId: String, outcome: ReferralOutcome, resolvedOn: LocalDate) {
        self.referralId = referralId
        self.outcome = outcome
        self.resolvedOn = resolvedOn
    }
}

public enum DecisionKind: String, Sendable, Hashable, Codable, CaseIterable {
    case noticeToImproveIssued = "notice-to-improve-issued"
    case penaltyNoticeIssued = "penalty-notice-issued"
    case prosecutionStarted = "prosecution-started"
    case noAction = "no-action"
    /// A penalty notice issued on the same case to the same parent was withdrawn: it no
    /// longer counts as a prior notice (`england-2024`).
    case penaltyNoticeWithdrawn = "penalty-notice-withdrawn"
}

/// `data` of `enforcement.decision.v1`: what a person decided on an enforcement review.
public struct EnforcementDecision: Sendable, Hashable {
    /// The review's case id. A decision for an unknown case is rejected by the worker (`unknown-case`).
    public var caseId: String
    public var decision: DecisionKind
    public var decidedOn: LocalDate
    /// An opaque staff id, never a name.
    public var officerId: String
    /// An opaque id of the parent the notice was issued to.
    public var parentRef: String
    public var amountPence: Int?

    public init(
        caseId: String, decision: DecisionKind, decidedOn: LocalDate, officerId: String, parentRef: String,
        amountPence: Int? = nil
    ) {
        self.caseId = caseId
        self.decision = decision
        self.decidedOn = decidedOn
        self.officerId = officerId
        self.parentRef = parentRef
        self.amountPence = amountPence
    }
}

/// `change` of `roll.change.v1`.
public enum RollChangeKind: String, Sendable, Hashable, Codable, CaseIterable {
    case admitted
    case deleted
}

/// The regulation 9 ground of a deletion from the admission register (School Attendance
/// (Pupil Registration) (England) Regulations 2024), as `roll.change.v1`'s `ground`.
public enum DeletionGround: String, Sendable, Hashable, Codable, CaseIterable {
    case transferred
    case electiveHomeEducation = "elective-home-education"
    case movedAway = "moved-away"
    case notReturnedAfterLeave = "not-returned-after-leave"
    case continuousAbsence20Days = "continuous-absence-20-days"
    case medical
    case permanentlyExcluded = "permanently-excluded"
    case died
    case leftCompulsoryAge = "left-compulsory-age"
    case notKnown = "not-known"
    case other
}

/// `dualRegistration` of `roll.change.v1`: which of a dual-registered pupil's two schools this is.
public enum DualRegistration: String, Sendable, Hashable, Codable, CaseIterable {
    case main
    case subsidiary
}

/// `data` of `roll.change.v1`: a pupil joins or leaves a school's roll.
public struct RollChange: Sendable, Hashable {
    public var upn: UPN
    public var laestab: LAESTAB
    public var change: RollChangeKind
    /// The first day on roll, or the day the name was removed.
    public var effectiveDate: LocalDate
    /// Required for a deletion, absent for an admission.
    public var ground: DeletionGround?
    public var destinationLaestab: LAESTAB?
    public var dualRegistration: DualRegistration?
    public var pupil: PupilCharacteristics?

    public init(
        upn: UPN, laestab: LAESTAB, change: RollChangeKind, effectiveDate: LocalDate, ground: DeletionGround? = nil,
        destinationLaestab: LAESTAB? = nil, dualRegistration: DualRegistration? = nil, pupil: PupilCharacteristics? = nil
    ) {
        self.upn = upn
        self.laestab = laestab
        self.change = change
        self.effectiveDate = effectiveDate
        self.ground = ground
        self.destinationLaestab = destinationLaestab
        self.dualRegistration = dualRegistration
        self.pupil = pupil
    }
}
