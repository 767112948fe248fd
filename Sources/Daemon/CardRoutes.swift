import CPS
import Foundation
import Hummingbird
import Vitale

/// `GET /v1/card`, `GET /v1/card/beneficiaries`: the carte Vitale in the reader.
struct CardRoutes: Sendable {
    let slots: CardSlots
    let events: EventHub
    /// Whether `?reveal=true` may show NIRs in clear (``DaemonConfiguration/allowNIRReveal``).
    let allowNIRReveal: Bool

    var routes: RouteCollection<DaemonRequestContext> {
        RouteCollection(context: DaemonRequestContext.self)
            .get("/card") { request, _ in try await self.card(request, beneficiariesOnly: false) }
            .get("/card/beneficiaries") { request, _ in try await self.card(request, beneficiariesOnly: true) }
    }

    func card(_ request: Request, beneficiariesOnly: Bool) async throws -> CardView {
        let query = request.uri.queryParameters
        let reveal = query["reveal"].map { $0 == "true" || $0 == "1" } ?? false
        if reveal && !allowNIRReveal {
            throw APIError(.forbidden, "reveal_not_allowed", "NIRs in clear are not allowed by this daemon's configuration (allowNIRReveal)")
        }
        if let raw = query["wait"] {
            guard let ms = Int(String(raw)), (0...10_000).contains(ms) else {
                throw APIError(.badRequest, "bad_request", "wait must be milliseconds from 0 to 10000")
            }
            await waitForVitaleRead(timeout: .milliseconds(ms))
        }
        let state = await slots.vitale
        var view = CardView(state: state.name, revealNIRs: reveal)
        switch state {
        case .present(let card, let readAt, let ms):
            view.readAt = Timestamp.string(readAt)
            view.readMs = ms
            if beneficiariesOnly { view.beneficiaries = card.beneficiaries } else { view.card = card }
        case .unreadable(let text), .foreign(let text): view.error = text
        default: break
        }
        return view
    }

    /// The events after which a card read is over (read, failed, or the card or the reader gone).
    static let readEnded: Set<DaemonEvent.Kind> = [.vitaleRead, .vitaleError, .vitaleRemoved, .pcscLost, .readerRemoved]

    /// Waits until the Vitale slot is not being read, or `timeout`.
    func waitForVitaleRead(timeout: Duration) async {
        let events = self.events.subscribe()
        guard await slots.isReadingVitale else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await event in events where Self.readEnded.contains(event.type) {
                    return
                }
            }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }
}

/// `GET /v1/card` (`card`) and `GET /v1/card/beneficiaries` (`beneficiaries`): the slot's state and, when read,
/// the card as the Vitale module encodes it (NIRs masked unless revealed).
struct CardView: Encodable, ResponseGenerator {
    var state: String
    var readAt: String?
    var readMs: Int?
    var error: String?
    var card: VitaleCard?
    var beneficiaries: [CardBeneficiary]?
    /// Whether the NIRs are encoded in clear (not part of the body).
    var revealNIRs: Bool

    enum CodingKeys: String, CodingKey {
        case state, readAt, readMs, error, card, beneficiaries
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try APIEncoder(userInfo: revealNIRs ? [NIR.revealInEncoding: true] : [:]).response(.ok, self)
    }
}
