import Hummingbird
import Transmission

/// `GET /v1/status`: the readers and cards, the session, the outbox summary, the sender.
struct StatusRoutes: Sendable {
    let outbox: Outbox
    let sessions: SessionStore
    let slots: CardSlots
    let sender: OutboxSender
    let events: EventHub

    var routes: RouteCollection<DaemonRequestContext> {
        RouteCollection(context: DaemonRequestContext.self)
            .get("/status", use: status)
    }

    @Sendable func status(_ request: Request, context: DaemonRequestContext) async throws -> StatusView {
        let summary = try await outbox.summary()
        let cps = CPSView(await slots.cps)
        return StatusView(
            vitale: await slots.vitale.name, cps: cps.state, pin: cps.pin, session: sessions.session.map { $0.origin.rawValue },
            outbox: OutboxView(summary), sender: sender.currentStatus, eventSubscribers: events.subscriberCount)
    }
}

/// `GET /v1/events`: the event stream (server-sent events), replayed after `Last-Event-ID`.
struct EventRoutes: Sendable {
    let events: EventHub

    var routes: RouteCollection<DaemonRequestContext> {
        RouteCollection(context: DaemonRequestContext.self)
            .get("/events", use: stream)
    }

    @Sendable func stream(_ request: Request, context: DaemonRequestContext) async throws -> Response {
        let last = request.headers.first { $0.name.canonicalName == "last-event-id" }.flatMap { Int64($0.value) }
        return ServerSentEvents.response(events: events, lastEventID: last)
    }
}

/// `GET /v1/status`.
struct StatusView: ResponseEncodable {
    var vitale: String
    var cps: String
    var pin: String?
    var session: String?
    var outbox: OutboxView
    var sender: OutboxSender.SenderStatus
    var eventSubscribers: Int
}

/// The outbox summary as the API shows it.
struct OutboxView: Codable {
    struct Line: Codable { var count: Int; var totalCents: Int64; var amoCents: Int64; var paidCents: Int64 }
    var claims: [String: Line]
    var lots: [String: Int]

    init(_ s: OutboxSummary) {
        claims = Dictionary(uniqueKeysWithValues: s.claims.map { ($0.key.rawValue, Line(count: $0.value.count, totalCents: $0.value.totalCents, amoCents: $0.value.amoCents, paidCents: $0.value.paidCents)) })
        lots = Dictionary(uniqueKeysWithValues: s.lots.map { ($0.key.rawValue, $0.value) })
    }
}
