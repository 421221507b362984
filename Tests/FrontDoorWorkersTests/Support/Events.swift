import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// Builds input events as a school MIS or the Digital Front Door would write them: structured
/// CloudEvents JSON, UPNs with a valid check letter.
enum Events {
    /// A valid UPN for a pupil of `school`: LA 886, the school's establishment number, year of
    /// allocation 26, and `serial` (0–999).
    static func upn(_ school: School, serial: Int) -> String {
        let body = "886" + school.laestab.establishmentNumber + "26" + String(format: "%03d", serial)
        return String(UPN.checkLetter(forBody: body)!) + body
    }

    static func date(_ iso: String) -> LocalDate { LocalDate(iso: iso)! }

    /// An instant on `day` at `hh:mm:ss` UTC.
    static func time(_ day: LocalDate, _ hour: Int, _ minute: Int = 0, _ second: Int = 0) -> Date {
        Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch * 86_400 + hour * 3600 + minute * 60 + second))
    }

    /// `count` days on which marks are accepted (weekdays that are not bank holidays), from `first`.
    static func markDays(from first: LocalDate, count: Int) -> [LocalDate] {
        var out: [LocalDate] = []
        var d = first
        while out.count < count {
            if TestEnvironment.config.calendar.acceptsMarks(on: d) { out.append(d) }
            d = d.adding(days: 1)
        }
        return out
    }

    static func json(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func envelope(
        id: String, source: String, type: String, time: Date, subject: String?, data: [String: Any]
    )
        -> [String: Any]
    {
        var e: [String: Any] = [
            "specversion": "1.0", "id": id, "source": source, "type": type, "time": RFC3339.format(time), "data": data,
        ]
        if let subject { e["subject"] = subject }
        return e
    }

    struct Pupil {
        var yearGroup = 8
        var fsm = false
        var sen = "N"
        var cla = false
        var dateOfBirth: String? = nil

        var json: [String: Any] {
            var d: [String: Any] = ["yearGroup": yearGroup, "fsm": fsm, "sen": sen, "cla": cla]
            if let dateOfBirth { d["dateOfBirth"] = dateOfBirth }
            return d
        }
    }

    static func markObject(
        id: String, upn: String, laestab: String, date: LocalDate, session: String, code: String, time: Date,
        pupil: Pupil? = nil
    ) -> [String: Any] {
        var data: [String: Any] = [
            "upn": upn, "laestab": laestab, "date": date.description, "session": session, "code": code,
            "minutesLate": NSNull(),
        ]
        if let pupil { data["pupil"] = pupil.json }
        return envelope(
            id: id, source: "urn:laestab:\(laestab)", type: "attendance.mark.v1", time: time, subject: upn, data: data)
    }

    /// One `attendance.mark.v1`.
    static func mark(
        id: String, upn: String, laestab: String, date: LocalDate, session: String, code: String, time: Date? = nil,
        pupil: Pupil? = nil
    ) -> [UInt8] {
        let t = time ?? Self.time(date, session == "AM" ? 9 : 13, 5)
        return json(markObject(id: id, upn: upn, laestab: laestab, date: date, session: session, code: code, time: t, pupil: pupil))
    }

    /// Marks for consecutive sessions (AM then PM) on the days from `first`, one code per session;
    /// the first carries the pupil's characteristics. Ids are `<prefix>-<n>`.
    static func register(
        prefix: String, upn: String, laestab: String, from first: LocalDate, codes: [String], pupil: Pupil? = Pupil()
    ) -> [(key: String, value: [UInt8])] {
        let days = markDays(from: first, count: (codes.count + 1) / 2)
        return codes.enumerated().map { i, code in
            let day = days[i / 2]
            let session = i % 2 == 0 ? "AM" : "PM"
            return (
                upn,
                mark(
                    id: "\(prefix)-\(i)", upn: upn, laestab: laestab, date: day, session: session, code: code,
                    pupil: i == 0 ? pupil : nil)
            )
        }
    }

    static func suspension(
        id: String, exclusionId: String, upn: String, laestab: String, start: LocalDate, sessions: Int, reason: String = "DB",
        time: Date, pupil: Pupil
    ) -> [UInt8] {
        let data: [String: Any] = [
            "exclusionId": exclusionId, "upn": upn, "laestab": laestab, "category": "suspension",
            "startDate": start.description, "sessions": sessions, "reason": reason, "pupil": pupil.json,
        ]
        return json(
            envelope(id: id, source: "urn:laestab:\(laestab)", type: "exclusion.issued.v1", time: time, subject: upn, data: data))
    }

    static func permanentExclusion(
        id: String, exclusionId: String, upn: String, laestab: String, start: LocalDate, reason: String = "PA", time: Date,
        pupil: Pupil
    ) -> [UInt8] {
        let data: [String: Any] = [
            "exclusionId": exclusionId, "upn": upn, "laestab": laestab, "category": "permanent",
            "startDate": start.description, "reason": reason, "pupil": pupil.json,
        ]
        return json(
            envelope(id: id, source: "urn:laestab:\(laestab)", type: "exclusion.issued.v1", time: time, subject: upn, data: data))
    }

    static func referral(
        referralId: String, reason: String, upn: String?, laestab: String?, givenName: String, familyName: String,
        dateOfBirth: String, safeguarding: Bool = false, time: Date, referrer: String = "school", postcode: String? = nil
    ) -> [UInt8] {
        var data: [String: Any] = [
            "referralId": referralId, "reason": reason,
            "referrer": ["kind": referrer, "organisation": "A test referrer"],
            "child": [
                "givenName": givenName, "familyName": familyName, "dateOfBirth": dateOfBirth, "fsm": false, "sen": "N",
                "cla": false,
            ] as [String: Any],
            "safeguardingConcern": safeguarding,
        ]
        if let upn { data["upn"] = upn }
        if let laestab { data["laestab"] = laestab }
        if let postcode, var child = data["child"] as? [String: Any] {
            child["postcode"] = postcode
            data["child"] = child
        }
        return json(
            envelope(
                id: referralId, source: "urn:frontdoor:agency:digital-front-door", type: "referral.received.v1", time: time,
                subject: upn, data: data))
    }

    static func decision(id: String, caseId: String, decision: String, decidedOn: LocalDate, time: Date) -> [UInt8] {
        let data: [String: Any] = [
            "caseId": caseId, "decision": decision, "decidedOn": decidedOn.description, "officerId": "staff-40217",
            "parentRef": "parent-7d1c2b",
        ]
        return json(
            envelope(
                id: id, source: "urn:frontdoor:agency:attendance-enforcement", type: "enforcement.decision.v1", time: time,
                subject: nil, data: data))
    }
}
