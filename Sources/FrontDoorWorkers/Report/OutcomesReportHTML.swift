import Foundation
import FrontDoorStore

/// `frontdoor report --format html`: one self-contained page for a committee (no scripts, no
/// fonts, images or styles fetched from anywhere: every chart is inline SVG drawn here, with its
/// numbers written beside it, and the full figures follow in tables). Prints well on A4.
extension OutcomesReport {
    public func htmlPage(generatedOn: String? = nil) -> String {
        ReportHTML(report: self, generatedOn: generatedOn).page()
    }
}

struct ReportHTML {
    let report: OutcomesReport
    let generatedOn: String?

    var cur: YearOutcomes { report.current }
    var prev: YearOutcomes? { report.previous }
    var change: OutcomesChange? { report.change }

    func page() -> String {
        let scope = cur.district.map { "\($0) district" } ?? "County-wide, all districts"
        let compared = prev.map { " compared with \($0.academicYear)" } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="en-GB">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Outcomes \(esc(cur.academicYear)) – Inclusion and Attendance Service</title>
            <style>\(Self.css)</style>
            </head>
            <body>
            <header>
            <p class="kicker">Inclusion and Attendance Service · Early Help and Preventative Services</p>
            <h1>The outcomes, \(esc(cur.academicYear))</h1>
            <p class="sub">\(esc(scope))\(esc(compared)). School attendance, exclusions, children missing education and enforcement, from the registers, exclusions and Digital Front Door referrals recorded by frontdoor.</p>
            </header>
            <main>
            \(headlines())
            \(attendanceSection())
            \(exclusionSection())
            \(cmeSection())
            \(rollChangeSection())
            \(reasonSection())
            \(districtSection())
            </main>
            <footer>
            <p><strong>How the figures are counted.</strong> Attendance is (present + attending) ÷ possible sessions, from the mark that counts for each pupil, school, day and session (the latest amendment). Persistent and severe absence: share of pupil enrolments (pupil and school) absent for 10% / 50% or more of their possible sessions. Exclusions: starting in the exclusion year (from 1 August, as the guidance counts them) and not rescinded; FSM, SEN support and EHC plan shares are of permanent exclusions, as recorded with the exclusion. Children missing education: CME referrals received in the year; found within two weeks means resolved, with the child found, by the 10th school day after the referral. Admissions and deletions: the changes to school rolls schools returned, by the date they took effect; a deletion raises CME risk on the 20-days or not-known ground when no CME case is open, and needs the LA's consent for home education when the child is at a special school or on a child-protection plan. Percentages are rounded half up to one decimal place; changes are percentage points (pp) or counts.\(generatedOn.map { " Generated \(esc($0))." } ?? "")</p>
            </footer>
            </body>
            </html>

            """
    }

    // MARK: Headline tiles

    func headlines() -> String {
        let a = cur.attendance
        var tiles: [String] = []
        tiles.append(tile("Primary attendance", pct(a.primaryPct), delta: change?.figures.attendance.primaryPct, higherIsBetter: true))
        tiles.append(tile("Secondary attendance", pct(a.secondaryPct), delta: change?.figures.attendance.secondaryPct, higherIsBetter: true))
        tiles.append(
            tile(
                "Persistent absence", pct(a.persistentAbsenceRatePct), delta: change?.figures.attendance.persistentAbsenceRatePct,
                higherIsBetter: false))
        tiles.append(tile("Permanent exclusions", ReportFormat.grouped(cur.exclusions.permanent), count: change?.figures.exclusions.permanent))
        tiles.append(tile("Suspensions", ReportFormat.grouped(cur.exclusions.suspensions), count: change?.figures.exclusions.suspensions))
        tiles.append(
            tile(
                "CME found within two weeks", pct(cur.cme.foundWithinTwoWeeksPct), delta: change?.figures.cme.foundWithinTwoWeeksPct,
                higherIsBetter: true, note: "of \(ReportFormat.grouped(cur.cme.reported)) reported"))
        return "<section class=\"tiles\" aria-label=\"Headlines\">\(tiles.joined())</section>"
    }

    func tile(_ label: String, _ value: String, delta: Decimal?, higherIsBetter: Bool, note: String? = nil) -> String {
        var d = ""
        if let delta {
            let good = delta == 0 ? nil : (delta > 0) == higherIsBetter
            d = deltaSpan(ReportFormat.signedOneDecimal(delta) + " pp", up: delta > 0, flat: delta == 0, good: good)
        }
        return tileHTML(label, value, d, note)
    }

    func tile(_ label: String, _ value: String, count: Int?) -> String {
        var d = ""
        if let count { d = deltaSpan(ReportFormat.signed(count), up: count > 0, flat: count == 0, good: count == 0 ? nil : count < 0) }
        return tileHTML(label, value, d, nil)
    }

    func deltaSpan(_ text: String, up: Bool, flat: Bool, good: Bool?) -> String {
        let arrow = flat ? "▶" : up ? "▲" : "▼"
        let cls = good.map { $0 ? "good" : "bad" } ?? "flat"
        return "<span class=\"delta \(cls)\">\(arrow) \(esc(text)) <span class=\"vs\">vs \(esc(prev?.academicYear ?? ""))</span></span>"
    }

    func tileHTML(_ label: String, _ value: String, _ delta: String, _ note: String?) -> String {
        "<div class=\"tile\"><div class=\"label\">\(esc(label))</div><div class=\"value\">\(esc(value))</div>"
            + (note.map { "<div class=\"note\">\(esc($0))</div>" } ?? "") + delta + "</div>"
    }

    // MARK: Sections

    var series: [ReportChartSeries] {
        var s = [ReportChartSeries(name: cur.academicYear, cssClass: "s-cur")]
        if let prev { s.insert(ReportChartSeries(name: prev.academicYear, cssClass: "s-prev"), at: 0) }
        return s
    }

    /// Values for the chart: previous year first (lighter), then this year.
    func pair(_ path: KeyPath<DistrictOutcomes, Decimal?>) -> [Double?] {
        var v: [Double?] = [cur.figures[keyPath: path].map(double)]
        if let prev { v.insert(prev.figures[keyPath: path].map(double), at: 0) }
        return v
    }

    func pairText(_ path: KeyPath<DistrictOutcomes, Decimal?>) -> [String] {
        var v = [pct(cur.figures[keyPath: path])]
        if let prev { v.insert(pct(prev.figures[keyPath: path]), at: 0) }
        return v
    }

    func attendanceSection() -> String {
        let rows = [
            ReportChartRow(label: "Primary schools", values: pair(\.attendance.primaryPct), texts: pairText(\.attendance.primaryPct)),
            ReportChartRow(label: "Secondary schools", values: pair(\.attendance.secondaryPct), texts: pairText(\.attendance.secondaryPct)),
            ReportChartRow(label: "All schools", values: pair(\.attendance.overallPct), texts: pairText(\.attendance.overallPct)),
        ]
        let lowest = rows.flatMap(\.values).compactMap { $0 }.min() ?? 90
        let start = max(0, (floor((lowest - 3) / 5) * 5))
        let attendance = ReportBarChart(
            id: "chart-attendance", title: "Attendance by school phase", rows: rows, series: series, domain: start...100,
            tick: start >= 80 ? 5 : 10, unit: "%"
        ).svg()
        let rates = [
            ReportChartRow(
                label: "Persistent absence", values: pair(\.attendance.persistentAbsenceRatePct),
                texts: pairText(\.attendance.persistentAbsenceRatePct)),
            ReportChartRow(
                label: "Severe absence", values: pair(\.attendance.severeAbsenceRatePct), texts: pairText(\.attendance.severeAbsenceRatePct)),
        ]
        let highest = rates.flatMap(\.values).compactMap { $0 }.max() ?? 10
        let absence = ReportBarChart(
            id: "chart-absence-rates", title: "Persistent and severe absence (share of enrolments)", rows: rates, series: series,
            domain: 0...niceCeiling(highest), tick: niceCeiling(highest) / 5, unit: "%"
        ).svg()
        let note =
            start > 0
            ? "<p class=\"axis-note\">The attendance scale starts at \(Int(start))% so that differences of a point are visible.</p>" : ""
        return """
            <section id="attendance"><h2>Attendance</h2>
            <p class="lede">\(attendanceSentence())</p>
            <div class="pair"><figure>\(attendance)\(note)</figure><figure>\(absence)</figure></div>
            </section>
            """
    }

    func attendanceSentence() -> String {
        let a = cur.attendance
        var s = "Primary schools' attendance was \(pct(a.primaryPct)) and secondary schools' \(pct(a.secondaryPct)) in \(esc(cur.academicYear))"
        if let c = change?.figures.attendance, let p = prev {
            s += " (\(ppWords(c.primaryPct)) and \(ppWords(c.secondaryPct)) on \(esc(p.academicYear)))"
        }
        s +=
            ". \(pct(a.persistentAbsenceRatePct)) of pupil enrolments were persistently absent and \(pct(a.severeAbsenceRatePct)) severely absent, over \(ReportFormat.grouped(a.sessionsRecorded)) recorded sessions."
        return s
    }

    func ppWords(_ d: Decimal?) -> String {
        guard let d else { return "no comparison" }
        if d == 0 { return "unchanged" }
        return (d > 0 ? "up " : "down ") + ReportFormat.oneDecimal(abs(d)) + " pp"
    }

    func exclusionSection() -> String {
        let districts = ReportFormat.orderedDistricts(cur.byDistrict)
        func rows(_ path: KeyPath<DistrictOutcomes, Int>) -> [ReportChartRow] {
            districts.map { name, district in
                var values: [Double?] = [Double(district[keyPath: path])]
                var texts = [ReportFormat.grouped(district[keyPath: path])]
                if let prev {
                    let p = prev.byDistrict[name]?[keyPath: path] ?? 0
                    values.insert(Double(p), at: 0)
                    texts.insert(ReportFormat.grouped(p), at: 0)
                }
                return ReportChartRow(label: name, values: values, texts: texts)
            }
        }
        func chart(_ id: String, _ title: String, _ path: KeyPath<DistrictOutcomes, Int>) -> String {
            let r = rows(path)
            let top = niceCeiling(r.flatMap(\.values).compactMap { $0 }.max() ?? 1)
            return ReportBarChart(id: id, title: title, rows: r, series: series, domain: 0...top, tick: top / 5, unit: "").svg()
        }
        let shares = [
            ReportChartRow(
                label: "Eligible for free school meals", values: pair(\.exclusions.permanentFsmPct), texts: pairText(\.exclusions.permanentFsmPct)),
            ReportChartRow(
                label: "SEN support", values: pair(\.exclusions.permanentSenSupportPct), texts: pairText(\.exclusions.permanentSenSupportPct)),
            ReportChartRow(label: "EHC plan", values: pair(\.exclusions.permanentEhcpPct), texts: pairText(\.exclusions.permanentEhcpPct)),
        ]
        let shareChart = ReportBarChart(
            id: "chart-permanent-shares", title: "Who was permanently excluded (share of permanent exclusions)", rows: shares,
            series: series, domain: 0...100, tick: 20, unit: "%", width: 860
        ).svg()
        var lede =
            "\(ReportFormat.grouped(cur.exclusions.permanent)) permanent exclusions and \(ReportFormat.grouped(cur.exclusions.suspensions)) suspensions in \(esc(cur.academicYear))"
        if let c = change?.figures.exclusions, let p = prev {
            lede += " (\(countWords(c.permanent)) and \(countWords(c.suspensions)) on \(esc(p.academicYear)))"
        }
        lede +=
            ". \(pct(cur.exclusions.permanentFsmPct)) of permanently excluded pupils were eligible for free school meals, \(pct(cur.exclusions.permanentSenSupportPct)) had SEN support and \(pct(cur.exclusions.permanentEhcpPct)) an EHC plan."
        let district = cur.district == nil || cur.byDistrict.count > 1
        return """
            <section id="exclusions"><h2>Exclusions</h2>
            <p class="lede">\(lede)</p>
            \(district ? "<div class=\"pair\"><figure>\(chart("chart-permanent-by-district", "Permanent exclusions by district", \.exclusions.permanent))</figure><figure>\(chart("chart-suspensions-by-district", "Suspensions by district", \.exclusions.suspensions))</figure></div>" : "")
            <figure class="single">\(shareChart)</figure>
            </section>
            """
    }

    func countWords(_ n: Int) -> String {
        n == 0 ? "no change" : n < 0 ? "\(ReportFormat.grouped(-n)) fewer" : "\(ReportFormat.grouped(n)) more"
    }

    func cmeSection() -> String {
        var donuts = [ReportDonut(id: "donut-cme-current", year: cur.academicYear, cme: cur.cme, emphasis: true).svg()]
        if let prev { donuts.insert(ReportDonut(id: "donut-cme-previous", year: prev.academicYear, cme: prev.cme, emphasis: false).svg(), at: 0) }
        var lede =
            "Schools and agencies reported \(ReportFormat.grouped(cur.cme.reported)) children missing education through the Digital Front Door in \(esc(cur.academicYear)); \(ReportFormat.grouped(cur.cme.resolved)) cases were resolved and \(pct(cur.cme.foundWithinTwoWeeksPct)) of the children were found within two weeks (10 school days)."
        if let c = change?.figures.cme, let p = prev {
            lede +=
                " In \(esc(p.academicYear)): \(ReportFormat.grouped(p.cme.reported)) reported, \(pct(p.cme.foundWithinTwoWeeksPct)) found within two weeks (\(c.foundWithinTwoWeeksPct.map { ReportFormat.signedOneDecimal($0) + " pp" } ?? "–"))."
        }
        lede += " Enforcement: \(ReportFormat.grouped(cur.enforcementReviews)) penalty-notice reviews were raised for the county's enforcement team"
        if let c = change?.figures.enforcementReviews { lede += " (\(countWords(c)))" }
        lede += "."
        return """
            <section id="cme"><h2>Children missing education</h2>
            <p class="lede">\(lede)</p>
            <div class="donuts">\(donuts.joined())</div>
            </section>
            """
    }

    func rollChangeSection() -> String {
        let r = cur.rollChanges
        var lede =
            "Schools returned \(ReportFormat.grouped(r.admissions)) admissions and \(ReportFormat.grouped(r.deletions)) deletions in \(esc(cur.academicYear))"
        if let c = change?.figures.rollChanges, let p = prev {
            lede += " (\(countWords(c.admissions)) and \(countWords(c.deletions)) on \(esc(p.academicYear)))"
        }
        lede +=
            ". \(ReportFormat.grouped(r.cmeRisk)) deletions raised a CME risk (20 school days' continuous absence or whereabouts not known, with no CME case open); \(ReportFormat.grouped(r.electiveHomeEducation)) were for elective home education, \(ReportFormat.grouped(r.eheConsentRequired)) of them of children at a special school or on a child-protection plan, who needed the LA's consent."
        let grounds = ReportFormat.orderedCodes(
            r.deletionsByGround.merging(prev?.rollChanges.deletionsByGround.mapValues { _ in 0 } ?? [:]) { a, _ in a }, by: r.deletionsByGround)
        var chart = ""
        if !grounds.isEmpty {
            let rows = grounds.map { ground -> ReportChartRow in
                let n = r.deletionsByGround[ground] ?? 0
                var values: [Double?] = [Double(n)]
                var texts = [ReportFormat.grouped(n)]
                if let prev {
                    let p = prev.rollChanges.deletionsByGround[ground] ?? 0
                    values.insert(Double(p), at: 0)
                    texts.insert(ReportFormat.grouped(p), at: 0)
                }
                return ReportChartRow(label: ReportFormat.groundName(ground), values: values, texts: texts)
            }
            let top = niceCeiling(rows.flatMap(\.values).compactMap { $0 }.max() ?? 1)
            chart =
                "<figure class=\"single\">"
                + ReportBarChart(
                    id: "chart-deletions-by-ground", title: "Deletions from school rolls by ground", rows: rows, series: series,
                    domain: 0...top, tick: top / 5, unit: "", width: 860
                ).svg() + "</figure>"
        }
        var rows = ""
        for (name, district) in ReportFormat.orderedDistricts(cur.byDistrict) {
            let d = district.rollChanges
            rows += "<tr><th scope=\"row\">\(esc(name))</th>" + rollCells(d, count: ReportFormat.grouped) + "</tr>"
            if let c = change?.byDistrict[name]?.rollChanges {
                rows += "<tr class=\"chg\"><td>change</td>" + rollCells(c, count: ReportFormat.signed) + "</tr>"
            }
        }
        let total =
            "<tr class=\"total\"><th scope=\"row\">\(cur.district == nil ? "Kent" : "Total")</th>"
            + rollCells(r, count: ReportFormat.grouped) + "</tr>"
        return """
            <section id="roll-changes"><h2>Admissions and deletions</h2>
            <p class="lede">\(lede)</p>
            \(chart)
            <div class="scroll"><table>
            <thead><tr><th scope="col">District</th><th scope="col">Admissions</th><th scope="col">Deletions</th><th scope="col">Deletions raising CME risk</th><th scope="col">Elective home education</th><th scope="col">Needing LA consent</th></tr></thead>
            <tbody>\(rows)</tbody><tfoot>\(total)</tfoot>
            </table></div>
            </section>
            """
    }

    func rollCells(_ r: RollChangeOutcomes, count: (Int) -> String) -> String {
        [count(r.admissions), count(r.deletions), count(r.cmeRisk), count(r.electiveHomeEducation), count(r.eheConsentRequired)]
            .map { "<td>\(esc($0))</td>" }.joined()
    }

    func reasonSection() -> String {
        let codes = ReportFormat.orderedCodes(
            cur.absenceReasons.merging(prev?.absenceReasons.mapValues { _ in 0 } ?? [:]) { a, _ in a }, by: cur.absenceReasons)
        guard !codes.isEmpty else {
            return "<section id=\"reasons\"><h2>Absence by reason</h2><p class=\"lede\">No absence was recorded.</p></section>"
        }
        let total = cur.absenceReasons.values.reduce(0, +)
        let rows = codes.map { code -> ReportChartRow in
            let n = cur.absenceReasons[code] ?? 0
            var values: [Double?] = [Double(n)]
            var texts = [ReportFormat.grouped(n) + (total > 0 ? " (\(share(n, of: total)))" : "")]
            if let prev {
                let p = prev.absenceReasons[code] ?? 0
                values.insert(Double(p), at: 0)
                texts.insert(ReportFormat.grouped(p), at: 0)
            }
            return ReportChartRow(
                label: "\(code) · \(ReportFormat.codeName(code))", values: values, texts: texts,
                marker: ReportFormat.isUnauthorised(code) ? "unauthorised" : "authorised")
        }
        let top = niceCeiling(rows.flatMap(\.values).compactMap { $0 }.max() ?? 1)
        let chart = ReportBarChart(
            id: "chart-absence-reasons", title: "Absence by reason (sessions)", rows: rows, series: series, domain: 0...top,
            tick: top / 5, unit: "", width: 860
        ).svg()
        let first = codes.first!
        return """
            <section id="reasons"><h2>Absence by reason</h2>
            <p class="lede">\(esc(ReportFormat.codeName(first))) was the most common reason for absence (\(share(cur.absenceReasons[first] ?? 0, of: total)) of absent sessions). Unauthorised codes are marked <span class=\"dot\">●</span>.</p>
            <figure class="single">\(chart)</figure>
            </section>
            """
    }

    func share(_ n: Int, of total: Int) -> String {
        guard total > 0 else { return "–" }
        // Half up to one decimal, exactly (integers only).
        let tenths = (2000 * n + total) / (2 * total)
        return "\(tenths / 10).\(tenths % 10)%"
    }

    func districtSection() -> String {
        var rows = ""
        for (name, d) in ReportFormat.orderedDistricts(cur.byDistrict) {
            rows += "<tr><th scope=\"row\">\(esc(name))</th>" + cells(d, pct: pct, count: ReportFormat.grouped) + "</tr>"
            if let c = change?.byDistrict[name] {
                rows +=
                    "<tr class=\"chg\"><td>change</td>"
                    + cells(c, pct: { $0.map { ReportFormat.signedOneDecimal($0) } ?? "–" }, count: ReportFormat.signed) + "</tr>"
            }
        }
        let total =
            "<tr class=\"total\"><th scope=\"row\">\(cur.district == nil ? "Kent" : "Total")</th>"
            + cells(cur.figures, pct: pct, count: ReportFormat.grouped) + "</tr>"
        return """
            <section id="districts"><h2>By district, \(esc(cur.academicYear))</h2>
            <div class="scroll"><table>
            <thead><tr><th scope="col">District</th><th scope="col">Primary</th><th scope="col">Secondary</th><th scope="col">All schools</th><th scope="col">Persistent absence</th><th scope="col">Severe absence</th><th scope="col">Permanent exclusions</th><th scope="col">Suspensions</th><th scope="col">CME reported</th><th scope="col">CME found ≤ 2 weeks</th><th scope="col">Enforcement reviews</th></tr></thead>
            <tbody>\(rows)</tbody><tfoot>\(total)</tfoot>
            </table></div>
            </section>
            """
    }

    func cells(_ d: DistrictOutcomes, pct: (Decimal?) -> String, count: (Int) -> String) -> String {
        [
            pct(d.attendance.primaryPct), pct(d.attendance.secondaryPct), pct(d.attendance.overallPct),
            pct(d.attendance.persistentAbsenceRatePct), pct(d.attendance.severeAbsenceRatePct), count(d.exclusions.permanent),
            count(d.exclusions.suspensions), count(d.cme.reported), pct(d.cme.foundWithinTwoWeeksPct), count(d.enforcementReviews),
        ].map { "<td>\(esc($0))</td>" }.joined()
    }

    func pct(_ v: Decimal?) -> String { v.map { ReportFormat.oneDecimal($0) + "%" } ?? "–" }

    func double(_ d: Decimal) -> Double { NSDecimalNumber(decimal: d).doubleValue }

    /// 1, 2, 2.5 or 5 times a power of ten, at or above `v` (so ticks at fifths are round).
    func niceCeiling(_ v: Double) -> Double {
        guard v > 0 else { return 5 }
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 2.0, 2.5, 5.0, 10.0] where m * p >= v { return m * p }
        return 10 * p
    }

    static let css = """
        :root{--ink:#1b2a3a;--muted:#5b6b7b;--rule:#d9e1e8;--cur:#1f4e79;--prev:#a9bfd6;--good:#1e7b4a;--bad:#b3261e;--bg:#f6f8fa}
        *{box-sizing:border-box}
        body{margin:0;font-family:"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif;color:var(--ink);background:var(--bg);line-height:1.45}
        header{background:var(--cur);color:#fff;padding:28px 40px 24px}
        header h1{margin:4px 0 6px;font-size:30px}
        .kicker{margin:0;text-transform:uppercase;letter-spacing:.08em;font-size:12px;opacity:.85}
        .sub{margin:0;max-width:900px;opacity:.92}
        main{padding:24px 40px;max-width:1280px}
        section{background:#fff;border:1px solid var(--rule);border-radius:8px;padding:18px 22px;margin:0 0 20px}
        h2{margin:0 0 6px;font-size:20px}
        .lede{margin:0 0 12px;max-width:1000px}
        figure{margin:0}
        .pair{display:grid;grid-template-columns:1fr 1fr;gap:24px}
        .tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:12px;background:none;border:none;padding:0}
        .tile{background:#fff;border:1px solid var(--rule);border-top:4px solid var(--cur);border-radius:8px;padding:12px 14px}
        .tile .label{font-size:13px;color:var(--muted)}
        .tile .value{font-size:30px;font-weight:700;margin:2px 0}
        .tile .note{font-size:12px;color:var(--muted)}
        .delta{font-size:13px;font-weight:600}
        .delta .vs{font-weight:400;color:var(--muted)}
        .good{color:var(--good)} .bad{color:var(--bad)} .flat{color:var(--muted)}
        svg{display:block;width:100%;height:auto}
        svg text{font-family:inherit;fill:var(--ink);font-size:13px}
        .single svg{max-width:860px}
        svg .title{font-weight:700;font-size:15px}
        svg .axis{fill:var(--muted);font-size:11px}
        svg .grid{stroke:var(--rule);stroke-width:1}
        svg .s-cur{fill:var(--cur)} svg .s-prev{fill:var(--prev)}
        svg .val{font-size:12px} svg .val.s-cur-t{font-weight:700}
        svg .unauth{fill:var(--bad)} .dot{color:var(--bad)}
        svg .ring{fill:none;stroke:var(--rule)} svg .arc{fill:none;stroke:var(--cur)} svg .arc.prev{stroke:var(--prev)}
        svg .big{font-size:19px;font-weight:700} svg .small{font-size:12px;fill:var(--muted)}
        .axis-note{font-size:12px;color:var(--muted);margin:4px 0 0}
        .donuts{display:flex;gap:32px;flex-wrap:wrap}
        .donuts svg{width:360px}
        .scroll{overflow-x:auto}
        table{border-collapse:collapse;width:100%;font-size:13px}
        th,td{padding:5px 8px;border-bottom:1px solid var(--rule);text-align:right;white-space:nowrap}
        th:first-child,td:first-child{text-align:left}
        thead th{font-size:12px;color:var(--muted);vertical-align:bottom;white-space:normal}
        tr.chg td{color:var(--muted);font-size:12px;border-bottom:1px solid var(--rule)}
        tfoot th,tfoot td{font-weight:700;border-top:2px solid var(--ink)}
        footer{padding:0 40px 32px;max-width:1280px;font-size:12px;color:var(--muted)}
        @media (max-width:900px){.pair{grid-template-columns:1fr}.tiles{grid-template-columns:repeat(2,1fr)}main,header,footer{padding-left:16px;padding-right:16px}}
        @media print{body{background:#fff}header{color:#000;background:#fff;border-bottom:3px solid var(--cur)}section{break-inside:avoid}.tiles{grid-template-columns:repeat(3,1fr)}}
        """
}

// MARK: Charts

struct ReportChartSeries {
    let name: String
    let cssClass: String
}

struct ReportChartRow {
    let label: String
    /// One value per series (nil: no figure).
    let values: [Double?]
    /// The numbers written beside the bars, one per series.
    let texts: [String]
    var marker: String? = nil
}

/// A grouped horizontal bar chart: a row per category, a bar per series, the value beside each bar.
struct ReportBarChart {
    let id: String
    let title: String
    let rows: [ReportChartRow]
    let series: [ReportChartSeries]
    let domain: ClosedRange<Double>
    let tick: Double
    let unit: String
    var width: Double = 620

    /// Room for the longest category label (about 7.5 px a character at 13 px).
    var labelWidth: Double {
        let longest = rows.map { $0.label.count + ($0.marker == "unauthorised" ? 2 : 0) }.max() ?? 10
        return min(360, max(110, Double(longest) * 7.5 + 16))
    }

    func svg() -> String {
        let bar = 15.0
        let gap = 3.0
        let rowGap = 12.0
        let top = 52.0
        let valueWidth = 110.0
        let plot = width - labelWidth - valueWidth
        let rowHeight = Double(series.count) * (bar + gap) - gap + rowGap
        let height = top + Double(rows.count) * rowHeight + 24
        func x(_ v: Double) -> Double {
            let clamped = min(max(v, domain.lowerBound), domain.upperBound)
            return labelWidth + (clamped - domain.lowerBound) / (domain.upperBound - domain.lowerBound) * plot
        }
        var s = "<svg id=\"\(id)\" class=\"chart\" role=\"img\" aria-labelledby=\"\(id)-t\" viewBox=\"0 0 \(f(width)) \(f(height))\">"
        s += "<title id=\"\(id)-t\">\(esc(title))</title>"
        s += "<text class=\"title\" x=\"0\" y=\"18\">\(esc(title))</text>"
        // Legend.
        var lx = 0.0
        for se in series {
            s += "<rect class=\"\(se.cssClass)\" x=\"\(f(lx))\" y=\"28\" width=\"12\" height=\"12\" rx=\"2\"/>"
            s += "<text class=\"axis\" x=\"\(f(lx + 17))\" y=\"38\">\(esc(se.name))</text>"
            lx += 90
        }
        // Grid and axis labels.
        let bottom = top + Double(rows.count) * rowHeight - rowGap / 2
        if tick > 0 {
            var t = domain.lowerBound
            while t <= domain.upperBound + tick / 1000 {
                s += "<line class=\"grid\" x1=\"\(f(x(t)))\" y1=\"\(f(top - 4))\" x2=\"\(f(x(t)))\" y2=\"\(f(bottom))\"/>"
                s += "<text class=\"axis\" x=\"\(f(x(t)))\" y=\"\(f(bottom + 14))\" text-anchor=\"middle\">\(esc(axisLabel(t)))</text>"
                t += tick
            }
        }
        for (i, row) in rows.enumerated() {
            let y0 = top + Double(i) * rowHeight
            let mid = y0 + (rowHeight - rowGap) / 2
            var label = esc(row.label)
            if row.marker == "unauthorised" { label = "<tspan class=\"unauth\">● </tspan>" + label }
            s += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(mid + 4))\" text-anchor=\"end\">\(label)</text>"
            for (j, se) in series.enumerated() {
                let y = y0 + Double(j) * (bar + gap)
                let text = j < row.texts.count ? row.texts[j] : ""
                guard j < row.values.count, let v = row.values[j] else {
                    s += "<text class=\"val\" x=\"\(f(labelWidth + 4))\" y=\"\(f(y + bar - 3))\">\(esc(text))</text>"
                    continue
                }
                let w = max(x(v) - labelWidth, v > domain.lowerBound ? 1.5 : 0)
                s +=
                    "<rect class=\"\(se.cssClass)\" x=\"\(f(labelWidth))\" y=\"\(f(y))\" width=\"\(f(w))\" height=\"\(f(bar))\" rx=\"2\"><title>\(esc(se.name)): \(esc(text))</title></rect>"
                s += "<text class=\"val \(se.cssClass)-t\" x=\"\(f(labelWidth + w + 5))\" y=\"\(f(y + bar - 3))\">\(esc(text))</text>"
            }
        }
        return s + "</svg>"
    }

    /// `95%`, `250`, `12k`, `2.5m`.
    func axisLabel(_ v: Double) -> String {
        func short(_ x: Double) -> String {
            let r = (x * 10).rounded() / 10
            return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
        }
        if v >= 1_000_000 { return short(v / 1_000_000) + "m" + unit }
        if v >= 10_000 { return short(v / 1_000) + "k" + unit }
        return (v == v.rounded() ? ReportFormat.grouped(Int(v)) : short(v)) + unit
    }
}

/// The share of CME children found within two weeks, as a ring, with the counts beside it.
struct ReportDonut {
    let id: String
    let year: String
    let cme: CMEOutcomes
    let emphasis: Bool

    func svg() -> String {
        let r = 46.0
        let c = 2 * Double.pi * r
        let share = cme.foundWithinTwoWeeksPct.map { NSDecimalNumber(decimal: $0).doubleValue / 100 } ?? 0
        let text = cme.foundWithinTwoWeeksPct.map { ReportFormat.oneDecimal($0) + "%" } ?? "–"
        var s = "<svg id=\"\(id)\" class=\"chart donut\" role=\"img\" aria-labelledby=\"\(id)-t\" viewBox=\"0 0 360 130\">"
        s += "<title id=\"\(id)-t\">CME \(esc(year)): \(esc(text)) found within two weeks</title>"
        s += "<circle class=\"ring\" cx=\"65\" cy=\"65\" r=\"\(f(r))\" stroke-width=\"16\"/>"
        s +=
            "<circle class=\"arc\(emphasis ? "" : " prev")\" cx=\"65\" cy=\"65\" r=\"\(f(r))\" stroke-width=\"16\" stroke-dasharray=\"\(f(c * share)) \(f(c))\" transform=\"rotate(-90 65 65)\"/>"
        s += "<text class=\"big\" x=\"65\" y=\"72\" text-anchor=\"middle\">\(esc(text))</text>"
        s += "<text class=\"title\" x=\"130\" y=\"30\">\(esc(year))</text>"
        s += "<text x=\"130\" y=\"54\">found within two weeks</text>"
        s += "<text x=\"130\" y=\"78\">\(ReportFormat.grouped(cme.reported)) CME referrals received</text>"
        s += "<text x=\"130\" y=\"100\">\(ReportFormat.grouped(cme.resolved)) resolved</text>"
        return s + "</svg>"
    }
}

/// SVG coordinates: at most one decimal place.
private func f(_ v: Double) -> String {
    let r = (v * 10).rounded() / 10
    return r == r.rounded() ? String(Int(r)) : String(format: "%.1f", r)
}

/// Escapes text for HTML and SVG content and attribute values.
private func esc(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for ch in s {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(ch)
        }
    }
    return out
}
