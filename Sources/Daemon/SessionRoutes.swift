import CPS
import Foundation
import Hummingbird

/// `GET /v1/cps`, `POST /v1/cps/pin`, `GET /v1/session`: the CPS, its PIN and the practitioner's session.
struct SessionRoutes: Sendable {
    let slots: CardSlots
    let sessions: SessionStore

    var routes: RouteCollection<DaemonRequestContext> {
        RouteCollection(context: DaemonRequestContext.self)
            .get("/cps", use: cps)
            .post("/cps/pin", use: submitPIN)
            .get("/session", use: session)
    }

    @Sendable func cps(_ request: Request, context: DaemonRequestContext) async throws -> CPSView {
        CPSView(await slots.cps)
    }

    /// The body of `POST /v1/cps/pin`.
    struct PINRequest: Decodable {
        var pin: String
    }

    @Sendable func submitPIN(_ request: Request, context: DaemonRequestContext) async throws -> SessionView {
        var request = request
        let body = try await request.collectBody(upTo: 4096)
        guard let pin = try? JSONDecoder().decode(PINRequest.self, from: body).pin else {
            throw APIError(.badRequest, "bad_request", "the body must be {\"pin\": \"1234\"}")
        }
        do {
            return SessionView(try await slots.submitPIN(pin))
        } catch {
            switch error {
            case .noCPS: throw APIError(.conflict, "no_cps", error.description)
            case .notACPS: throw APIError(.conflict, "not_a_cps", error.description)
            case .invalidFormat: throw APIError(.badRequest, "invalid_pin_format", error.description)
            case .wrong(let n): throw APIError(.forbidden, "wrong_pin", error.description, extra: ["triesLeft": "\(n)"])
            case .blocked: throw APIError(.init(code: 423), "pin_blocked", error.description)
            case .noSituationAllowedToSign: throw APIError(.conflict, "no_situation", error.description)
            case .card(let text): throw APIError(.serviceUnavailable, "card_error", text)
            }
        }
    }

    @Sendable func session(_ request: Request, context: DaemonRequestContext) async throws -> SessionView {
        sessions.session.map(SessionView.init) ?? SessionView(open: false)
    }
}

/// `GET /v1/cps`.
struct CPSView: Codable, ResponseEncodable {
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
        case .unreadable(let text), .foreign(let text): error = text
        default: break
        }
    }
}

/// `GET /v1/session`, and the answer of `POST /v1/cps/pin`.
struct SessionView: Codable, ResponseEncodable {
    var open: Bool
    var origin: String?
    var billingNumber: String?
    var situation: Int?
    var maySignInvoice: Bool?
    var maySignLot: Bool?

    init(open: Bool) { self.open = open }

    init(_ session: PractitionerSession) {
        open = true
        origin = session.origin.rawValue
        billingNumber = session.billingNumber.description
        situation = Int(session.situation.situationNumber)
        maySignInvoice = session.situation.maySignInvoice
        maySignLot = session.situation.maySignLot
    }
}
