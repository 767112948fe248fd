import CPS
import Foundation
import Hummingbird
import NIOCore
import Vitale

/// `GET /v1/card`, `GET /v1/card/beneficiaries`, `GET /v1/cps`, `POST /v1/cps/pin`.
extension Daemon {
    func addCardRoutes(to api: RouterGroup<DaemonRequestContext>) {
        api.get("/card") { request, _ in
            try await self.cardResponse(request, beneficiariesOnly: false)
        }
        api.get("/card/beneficiaries") { request, _ in
            try await self.cardResponse(request, beneficiariesOnly: true)
        }
        api.get("/cps") { _, _ in
            APIResponse.json(.ok, CPSView(await self.slots.cps))
        }
        api.post("/cps/pin") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 4096)
            guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any],
                  let pin = object["pin"] as? String else {
                return APIResponse.problem(.badRequest, "bad_request", "the body must be {\"pin\": \"1234\"}")
            }
            do {
                let session = try await self.slots.submitPIN(pin)
                return APIResponse.json(.ok, SessionView(open: true, origin: session.origin.rawValue, billingNumber: session.billingNumber,
                                                         situation: Int(session.situation.situationNumber),
                                                         maySignInvoice: session.situation.maySignInvoice, maySignLot: session.situation.maySignLot))
            } catch let error as PINSubmissionError {
                switch error {
                case .noCPS: return APIResponse.problem(.conflict, "no_cps", error.description)
                case .invalidFormat: return APIResponse.problem(.badRequest, "invalid_pin_format", error.description)
                case .wrong(let n): return APIResponse.problem(.forbidden, "wrong_pin", error.description, extra: ["triesLeft": "\(n)"])
                case .blocked: return APIResponse.problem(.init(code: 423), "pin_blocked", error.description)
                case .noSituationAllowedToSign: return APIResponse.problem(.conflict, "no_situation", error.description)
                case .card(let text): return APIResponse.problem(.serviceUnavailable, "card_error", text)
                }
            }
        }
    }

    func cardResponse(_ request: Request, beneficiariesOnly: Bool) async throws -> Response {
        let query = request.uri.queryParameters
        let reveal = query["reveal"].map { $0 == "true" || $0 == "1" } ?? false
        if reveal && !configuration.allowNIRReveal {
            return APIResponse.problem(.forbidden, "reveal_not_allowed", "NIRs in clear are not allowed by this daemon's configuration (allowNIRReveal)")
        }
        if let raw = query["wait"] {
            guard let ms = Int(String(raw)), (0...10_000).contains(ms) else {
                return APIResponse.problem(.badRequest, "bad_request", "wait must be milliseconds from 0 to 10000")
            }
            await waitForVitaleRead(timeout: .milliseconds(ms))
        }
        let state = await slots.vitale
        var view = CardView(state: state.name)
        switch state {
        case .present(let card, let readAt, let ms):
            view.readAt = Timestamp.string(readAt)
            view.readMs = ms
            let encoder = VitaleCard.jsonEncoder(revealNIRs: reveal)
            encoder.outputFormatting = [.sortedKeys]
            let json: Data = try beneficiariesOnly ? encoder.encode(card.beneficiaries) : encoder.encode(card)
            view.card = RawJSON(json)
        case .unreadable(let text): view.error = text
        default: break
        }
        return APIResponse.json(.ok, view, keyForRaw: beneficiariesOnly ? "beneficiaries" : "card")
    }

    /// Waits until the Vitale slot is not being read, or `timeout`.
    func waitForVitaleRead(timeout: Duration) async {
        let events = self.events.subscribe()
        guard await slots.isReadingVitale else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events where [DaemonEvent.Kind.vitaleRead, .vitaleError, .vitaleRemoved, .pcscLost, .readerRemoved].contains(event.type) {
                    return
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    /// The claim-file fields of the beneficiary at `position` on the card in the reader (docs/claim-files.md):
    /// the insured's NIR (ouvrant droit), the beneficiary's birth date, rang and qualité, the AMO organism, the
    /// rights period and the complementary insurance.
    func cardBeneficiaryFields(_ position: Int) async -> Result<[String: String], ClaimCreationError> {
        let state = await slots.vitale
        guard case .present(let card, _, _) = state else {
            let detail: String
            switch state {
            case .reading: detail = "the carte Vitale is still being read: retry in a moment"
            case .unreadable(let text): detail = "the card in the reader could not be read (\(text))"
            default: detail = "no carte Vitale in the reader: insert it, or give a 'patient'"
            }
            return .failure(ClaimCreationError(status: 409, code: "no_card", message: detail))
        }
        guard let beneficiary = card.beneficiaries.first(where: { $0.position == position }) else {
            return .failure(ClaimCreationError(status: 404, code: "no_such_beneficiary", message: "the card has \(card.beneficiaries.count) beneficiar\(card.beneficiaries.count == 1 ? "y" : "ies"); no position \(position)"))
        }
        guard let insured = card.insured else {
            return .failure(ClaimCreationError(status: 409, code: "rights_unreadable", message: "the card's rights (AMO organism) are not readable: give a 'patient' from the attestation de droits"))
        }
        let nir = insured.nir.revealed
        var fields: [String: String] = [
            "nir": String(nir.prefix(13)), "nir_key": String(nir.suffix(2)), "birth_date": beneficiary.dateOfBirth.iso,
            "rank": "\(beneficiary.rang ?? 1)", "quality": beneficiary.qualite?.code ?? "0",
            "amo": "\(insured.organism.regime.code) \(insured.organism.caisse) \(insured.organism.centre)",
        ]
        if let period = beneficiary.amoPeriods.last {
            fields["rights_start"] = period.start.iso
            if let end = period.end { fields["rights_end"] = end.iso }
        }
        if let amc = beneficiary.complementaryInsurances.first { fields["amc"] = amc.number }
        return .success(fields)
    }
}

/// JSON bytes embedded as they are.
struct RawJSON: Sendable {
    let data: Data
    init(_ data: Data) { self.data = data }
}

/// `GET /v1/card`: state and, when read, the card as the Vitale module encodes it (NIRs masked unless revealed).
struct CardView: Sendable {
    var state: String
    var readAt: String?
    var readMs: Int?
    var error: String?
    var card: RawJSON?
}

/// `GET /v1/cps`.
struct CPSView: Codable {
    var state: String
    var pin: String?
    var triesLeft: Int?
    var holder: CPSHolder?
    var situations: [CPSSituation]?
    var error: String?

    init(_ state: CPSSlotState) {
        self.state = state.name
        switch state {
        case .present(let card, let pin):
            self.pin = pin.name
            if case .required(let n) = pin { triesLeft = n }
            holder = card.holder
            situations = card.situations
        case .unreadable(let text): error = text
        default: break
        }
    }
}

extension APIResponse {
    /// The card view, with the card's JSON (encoded by the Vitale module) under `keyForRaw`.
    static func json(_ status: HTTPResponse.Status, _ view: CardView, keyForRaw: String) -> Response {
        var object: [String: Any] = ["state": view.state]
        if let v = view.readAt { object["readAt"] = v }
        if let v = view.readMs { object["readMs"] = v }
        if let v = view.error { object["error"] = v }
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        if let raw = view.card {
            data.removeLast()  // "}"
            data.append(contentsOf: Array(",\"\(keyForRaw)\":".utf8))
            data.append(raw.data)
            data.append(UInt8(ascii: "}"))
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
