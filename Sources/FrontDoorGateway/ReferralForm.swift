import Foundation
import FrontDoorDomain
import HTTPTypes
import Hummingbird

/// The referral form at `/refer`: a designated safeguarding lead refers a child missing
/// education (`cme`) or at risk of exclusion (`exclusion-risk`) and gets a reference number.
///
/// One HTML page, no script, no external assets (the style sheet is inline), labels on every
/// field, related fields in fieldsets with legends, and an error summary at the top that links
/// to each field in error (the GOV.UK Design System's patterns), so it works with a keyboard, a
/// screen reader and without JavaScript.
///
/// Authentication: the form asks for the school's gateway key in a password field, each time (no
/// session, no cookie, so there is nothing to steal by cross-site requests and nothing to expire);
/// only a school's key is accepted. The referral is published as `referral.received.v1` with the
/// school as `source`, `laestab` and referrer, through the same decoder and producer as `/events`.
enum ReferralForm {
    /// What the person typed (never the key: it is not shown again).
    struct Input: Sendable {
        var reason = ""
        var givenName = ""
        var familyName = ""
        var dateOfBirth = ""
        var upn = ""
        var postcode = ""
        var yearGroup = ""
        var lastSeenDate = ""
        var safeguarding = ""
        var details = ""

        init() {}

        init(form: [String: String]) {
            reason = form["reason"] ?? ""
            givenName = form["givenName"] ?? ""
            familyName = form["familyName"] ?? ""
            dateOfBirth = form["dateOfBirth"] ?? ""
            upn = form["upn"] ?? ""
            postcode = form["postcode"] ?? ""
            yearGroup = form["yearGroup"] ?? ""
            lastSeenDate = form["lastSeenDate"] ?? ""
            safeguarding = form["safeguarding"] ?? ""
            details = form["details"] ?? ""
        }
    }

    /// A field in error and what to tell the person.
    struct FieldError: Sendable, Hashable {
        var field: String
        var message: String
    }

    /// The form's fields, as the decoder names them (`data.child.givenName` → `givenName`).
    static func formField(ofDecoderField field: String?) -> String {
        switch field {
        case "data.reason": "reason"
        case "data.child.givenName": "givenName"
        case "data.child.familyName": "familyName"
        case "data.child.dateOfBirth": "dateOfBirth"
        case "data.upn": "upn"
        case "data.child.postcode": "postcode"
        case "data.child.yearGroup": "yearGroup"
        case "data.lastSeenDate": "lastSeenDate"
        case "data.safeguardingConcern": "safeguarding"
        case "data.details": "details"
        default: "key"
        }
    }

    /// `application/x-www-form-urlencoded` into names and values (the last value of a repeated name).
    static func parse(_ body: [UInt8]) -> [String: String] {
        var out: [String: String] = [:]
        let text = String(decoding: body, as: UTF8.self)
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            out[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    /// The `referral.received.v1` event of a filled form, as structured JSON.
    static func event(
        _ input: Input, id: String, referralId: String, school: LAESTAB, organisation: String, time: Date
    ) -> [UInt8] {
        func trimmed(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
        var child: [String: Any] = [
            "givenName": trimmed(input.givenName), "familyName": trimmed(input.familyName),
            "dateOfBirth": trimmed(input.dateOfBirth),
        ]
        if !trimmed(input.postcode).isEmpty { child["postcode"] = trimmed(input.postcode) }
        if !trimmed(input.yearGroup).isEmpty { child["yearGroup"] = Int(trimmed(input.yearGroup)) ?? trimmed(input.yearGroup) }
        var data: [String: Any] = [
            "referralId": referralId, "reason": input.reason, "laestab": school.value,
            "referrer": ["kind": "school", "organisation": organisation], "child": child,
            "safeguardingConcern": input.safeguarding == "yes",
        ]
        if !trimmed(input.upn).isEmpty { data["upn"] = trimmed(input.upn).uppercased() }
        if !trimmed(input.lastSeenDate).isEmpty { data["lastSeenDate"] = trimmed(input.lastSeenDate) }
        if !trimmed(input.details).isEmpty { data["details"] = input.details }
        let event: [String: Any] = [
            "specversion": "1.0", "id": id, "source": "urn:laestab:\(school.value)", "type": EventType.referralReceived.rawValue,
            "time": RFC3339.format(time), "data": data,
        ]
        return Array((try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])) ?? Data())
    }

    /// A reference number a person can read out on the phone: `DFD-` and eight characters of
    /// Crockford's base 32 (no I, L, O or U), from the system's secure random source.
    static func newReference() -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        let chars = (0..<8).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return "DFD-" + String(chars[0..<4]) + "-" + String(chars[4..<8])
    }

    // MARK: HTML

    struct Page {
        var html: String

        func response(status: HTTPResponse.Status) -> Response {
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            // Nothing from elsewhere, no script, not framed.
            headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
            headers[.cacheControl] = "no-store"
            return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
        }
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let style = """
        body{font-family:Arial,sans-serif;font-size:19px;line-height:1.4;margin:0;color:#0b0c0c;background:#fff}
        main{max-width:40em;margin:0 auto;padding:1em}
        h1{font-size:2em;margin:.5em 0}
        label,legend{display:block;font-weight:bold;margin-bottom:.2em}
        legend{font-size:1.2em}
        .hint{display:block;color:#505a5f;margin-bottom:.3em;font-weight:normal}
        .field{margin-bottom:1.2em}
        fieldset{border:0;padding:0;margin:0 0 1.5em 0}
        input[type=text],input[type=password],textarea{font-size:1em;padding:.3em;border:2px solid #0b0c0c;width:100%;box-sizing:border-box}
        input.short{max-width:12em}
        input:focus,textarea:focus,button:focus,a:focus{outline:3px solid #fd0;outline-offset:0}
        .choice{margin:.3em 0}
        .choice label{display:inline;font-weight:normal}
        .choice input{width:1.3em;height:1.3em;vertical-align:middle}
        button{font-size:1em;padding:.5em 1em;background:#00703c;color:#fff;border:0;box-shadow:0 2px 0 #002d18;cursor:pointer}
        .error-summary{border:5px solid #d4351c;padding:1em;margin-bottom:1.5em}
        .error-summary a{color:#d4351c;font-weight:bold}
        .error-message{display:block;color:#d4351c;font-weight:bold}
        .field-error{border-left:5px solid #d4351c;padding-left:.8em}
        .visually-hidden{position:absolute;width:1px;height:1px;margin:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
        .panel{background:#00703c;color:#fff;padding:1em;text-align:center}
        .reference{font-size:1.6em;font-weight:bold;letter-spacing:.05em}
        """

    static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en-GB">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>
        <main id="main-content">
        \(body)
        </main>
        </body>
        </html>
        """
    }

    /// The form, filled with `input`, with an error summary when there are errors.
    static func page(_ input: Input, errors: [FieldError]) -> Page {
        var firstError: [String: String] = [:]
        for e in errors where firstError[e.field] == nil { firstError[e.field] = e.message }
        func errorMessage(_ field: String) -> String {
            guard let m = firstError[field] else { return "" }
            return "<span class=\"error-message\" id=\"\(field)-error\"><span class=\"visually-hidden\">Error: </span>\(escape(m))</span>\n"
        }
        func describedBy(_ field: String, hint: Bool) -> String {
            let ids = (hint ? ["\(field)-hint"] : []) + (firstError[field] != nil ? ["\(field)-error"] : [])
            return ids.isEmpty ? "" : " aria-describedby=\"\(ids.joined(separator: " "))\""
        }
        func text(
            _ field: String, _ label: String, value: String, hint: String? = nil, short: Bool = false, type: String = "text",
            autocomplete: String = "off"
        ) -> String {
            let hintHTML = hint.map { "<span class=\"hint\" id=\"\(field)-hint\">\(escape($0))</span>\n" } ?? ""
            let invalid = firstError[field] != nil ? " aria-invalid=\"true\"" : ""
            return """
                <div class="field\(firstError[field] != nil ? " field-error" : "")">
                <label for="\(field)">\(escape(label))</label>
                \(hintHTML)\(errorMessage(field))<input type="\(type)" id="\(field)" name="\(field)" value="\(escape(value))"\(short ? " class=\"short\"" : "") autocomplete="\(autocomplete)"\(invalid)\(describedBy(field, hint: hint != nil))>
                </div>
                """
        }
        func radios(_ field: String, legend: String, options: [(value: String, label: String)], selected: String) -> String {
            var html = "<div class=\"field\(firstError[field] != nil ? " field-error" : "")\">\n"
            html += "<fieldset id=\"\(field)\"\(describedBy(field, hint: false))>\n<legend>\(escape(legend))</legend>\n\(errorMessage(field))"
            for o in options {
                let id = "\(field)-\(o.value)"
                html += """
                    <div class="choice"><input type="radio" id="\(id)" name="\(field)" value="\(o.value)"\(selected == o.value ? " checked" : "")> <label for="\(id)">\(escape(o.label))</label></div>

                    """
            }
            html += "</fieldset>\n</div>\n"
            return html
        }
        var body = "<h1>Refer a child to the local authority</h1>\n"
        if !errors.isEmpty {
            body += """
                <div class="error-summary" role="alert" aria-labelledby="error-summary-title" tabindex="-1">
                <h2 id="error-summary-title">There is a problem</h2>
                <ul>

                """
            for e in errors {
                let target = ["reason", "safeguarding"].contains(e.field) ? "\(e.field)-\(e.field == "reason" ? "cme" : "yes")" : e.field
                body += "<li><a href=\"#\(target)\">\(escape(e.message))</a></li>\n"
            }
            body += "</ul>\n</div>\n"
        }
        body += """
            <p>For designated safeguarding leads. The referral goes to the local authority's Early Help and Children Missing Education teams. If a child is in immediate danger, call 999.</p>
            <form method="post" action="/refer" novalidate>

            """
        body += text(
            "key", "Your school's gateway key", value: "",
            hint: "The key your local authority gave the school, starting fdk_. It is not stored in this page.",
            type: "password")
        body += radios(
            "reason", legend: "Why are you referring the child?",
            options: [("cme", "Child missing education"), ("exclusion-risk", "At risk of exclusion")], selected: input.reason)
        body += "<fieldset>\n<legend>About the child</legend>\n"
        body += text("givenName", "First name", value: input.givenName)
        body += text("familyName", "Last name", value: input.familyName)
        body += text("dateOfBirth", "Date of birth", value: input.dateOfBirth, hint: "For example, 2014-03-27", short: true)
        body += text("upn", "Unique pupil number (optional)", value: input.upn, hint: "13 characters, if the child has one", short: true)
        body += text("postcode", "Home postcode (optional)", value: input.postcode, short: true)
        body += text("yearGroup", "Year group (optional)", value: input.yearGroup, hint: "A number from 0 (reception) to 14", short: true)
        body += "</fieldset>\n"
        body += text(
            "lastSeenDate", "When was the child last seen? (optional)", value: input.lastSeenDate, hint: "For example, 2026-11-20",
            short: true)
        body += radios(
            "safeguarding", legend: "Is there a safeguarding concern?", options: [("yes", "Yes"), ("no", "No")],
            selected: input.safeguarding)
        body += """
            <div class="field\(firstError["details"] != nil ? " field-error" : "")">
            <label for="details">What should the local authority know? (optional)</label>
            <span class="hint" id="details-hint">At most 4,000 characters.</span>
            \(errorMessage("details"))<textarea id="details" name="details" rows="6" maxlength="4000"\(describedBy("details", hint: true))>\(escape(input.details))</textarea>
            </div>
            <button type="submit" id="submit">Send referral</button>
            </form>

            """
        return Page(html: document(title: (errors.isEmpty ? "" : "Error: ") + "Refer a child – Digital Front Door", body: body))
    }

    /// The page after a referral was published: its reference number.
    static func confirmation(reference: String) -> Page {
        Page(
            html: document(
                title: "Referral sent – Digital Front Door",
                body: """
                    <div class="panel" role="status">
                    <h1>Referral sent</h1>
                    <p>Your reference number<br><span class="reference" id="reference">\(escape(reference))</span></p>
                    </div>
                    <p>Keep this number: quote it when you contact the local authority about this child.</p>
                    <p><a href="/refer">Make another referral</a></p>
                    """))
    }
}

extension ReferralForm {
    /// What to tell a person about a field the decoder refused (its own sentences are for programmers).
    static func personMessage(field: String, decoderMessage: String) -> String {
        switch field {
        case "givenName": "Enter the child's first name"
        case "familyName": "Enter the child's last name"
        case "dateOfBirth": "Enter the child's date of birth as year-month-day, for example 2014-03-27"
        case "upn": "Enter a valid unique pupil number (13 characters), or leave it empty"
        case "postcode": "Enter the postcode as on a letter, or leave it empty"
        case "yearGroup": "Enter the year group as a number from 0 to 14, or leave it empty"
        case "lastSeenDate": "Enter the date the child was last seen as year-month-day, or leave it empty"
        case "details": "Use at most 4,000 characters"
        case "reason": "Select why you are referring the child"
        case "safeguarding": "Select whether there is a safeguarding concern"
        default: decoderMessage
        }
    }
}
