import Foundation
import FrontDoorDomain
import HTTPTypes
import Hummingbird
import Logging

extension Gateway {
    /// The largest form body `POST /refer` reads (the details field holds at most 4,000 characters).
    static let maximumFormBytes = 64 * 1024

    /// `POST /refer`: checks the form, publishes the referral and shows its reference number, or
    /// shows the form again with an error summary (the key is never shown again).
    func referral(_ request: Request) async -> Response {
        var bytes: [UInt8] = []
        do {
            for try await chunk in request.body {
                guard bytes.count + chunk.readableBytes <= Self.maximumFormBytes else {
                    return ReferralForm.page(
                        ReferralForm.Input(), errors: [.init(field: "details", message: "The form is too long; shorten the details")]
                    ).response(status: .contentTooLarge)
                }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            return ReferralForm.page(ReferralForm.Input(), errors: [.init(field: "key", message: "The form could not be read; send it again")])
                .response(status: .badRequest)
        }
        let form = ReferralForm.parse(bytes)
        let input = ReferralForm.Input(form: form)
        var errors: [ReferralForm.FieldError] = []
        let key = ClientKey(text: (form["key"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        if key == nil { errors.append(.init(field: "key", message: "Enter your school's gateway key, starting fdk_")) }
        if !["cme", "exclusion-risk"].contains(input.reason) {
            errors.append(.init(field: "reason", message: ReferralForm.personMessage(field: "reason", decoderMessage: "")))
        }
        for field in ["givenName", "familyName", "dateOfBirth"] where (form[field] ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            errors.append(.init(field: field, message: ReferralForm.personMessage(field: field, decoderMessage: "")))
        }
        if !["yes", "no"].contains(input.safeguarding) {
            errors.append(.init(field: "safeguarding", message: ReferralForm.personMessage(field: "safeguarding", decoderMessage: "")))
        }
        guard errors.isEmpty, let key else { return ReferralForm.page(input, errors: errors).response(status: .badRequest) }

        let client: GatewayClient
        switch await authenticate("Bearer \(key.text)") {
        case .success(let c): client = c
        case .failure(let e):
            let status = e.response.status
            let message =
                status == .unauthorized
                ? "This key is not a current gateway key; check it, or ask the local authority for a new one"
                : "The referral could not be sent just now; try again in a few minutes"
            return ReferralForm.page(input, errors: [.init(field: "key", message: message)]).response(status: status)
        }
        guard client.kind == .school, let laestab = client.laestab else {
            return ReferralForm.page(input, errors: [.init(field: "key", message: "This form takes a school's key")])
                .response(status: .forbidden)
        }
        if let wait = limiter.take(1, client: client.id) {
            var response = ReferralForm.page(
                input, errors: [.init(field: "key", message: "Too many events from this school just now; try again in \(wait) seconds")]
            ).response(status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return response
        }
        let reference = ReferralForm.newReference()
        let organisation = register.school(laestab)?.name ?? "School \(laestab.value)"
        let value = ReferralForm.event(
            input, id: UUID().uuidString.lowercased(), referralId: reference, school: laestab, organisation: organisation, time: Date())
        let (status, answer) = await intake.accept([CloudEventsHTTP.Candidate(value: value, headers: [])], mode: .structured, from: client)
        logger.info("referral form", metadata: ["client": "\(client.id)", "status": "\(status)"])
        switch status {
        case 202:
            return ReferralForm.confirmation(reference: reference).response(status: .ok)
        case 400:
            let field = ReferralForm.formField(ofDecoderField: answer.results?.first?.field)
            let message = ReferralForm.personMessage(field: field, decoderMessage: answer.results?.first?.message ?? "Check the form")
            return ReferralForm.page(input, errors: [.init(field: field, message: message)]).response(status: .badRequest)
        default:
            return ReferralForm.page(
                input, errors: [.init(field: "key", message: "The referral could not be sent just now; try again in a few minutes")]
            ).response(status: HTTPResponse.Status(code: status))
        }
    }
}
