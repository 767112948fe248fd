import Hummingbird
import Transmission

/// `GET /v1/claims`, `GET /v1/claims/{id}`, `POST /v1/claims`, `POST /v1/send`: the claims in the outbox, their
/// creation, and a sending round on demand.
struct ClaimRoutes: Sendable {
    let outbox: Outbox
    let claims: ClaimService
    let slots: CardSlots
    let sender: OutboxSender

    var routes: RouteCollection<DaemonRequestContext> {
        RouteCollection(context: DaemonRequestContext.self)
            .get("/claims", use: list)
            .get("/claims/:id", use: claim)
            .post("/claims", use: create)
            .post("/send", use: send)
    }

    @Sendable func list(_ request: Request, context: DaemonRequestContext) async throws -> ClaimList {
        let query = request.uri.queryParameters
        var states: Set<ClaimState>?
        if let raw = query["state"] {
            var set = Set<ClaimState>()
            for name in raw.split(separator: ",") {
                guard let state = ClaimState(rawValue: String(name)) else {
                    throw APIError(.badRequest, "bad_request", "state: unknown state '\(name)' (one of \(ClaimState.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                set.insert(state)
            }
            states = set
        }
        var limit = 100
        if let raw = query["limit"] {
            guard let value = Int(String(raw)), (1...10_000).contains(value) else {
                throw APIError(.badRequest, "bad_request", "limit must be an integer from 1 to 10000")
            }
            limit = value
        }
        return ClaimList(claims: try await outbox.claims(in: states, limit: limit).map(ClaimView.init))
    }

    @Sendable func claim(_ request: Request, context: DaemonRequestContext) async throws -> ClaimView {
        guard let raw = context.parameters.get("id"), let id = Int64(raw) else {
            throw APIError(.badRequest, "bad_request", "the claim id must be an integer")
        }
        guard let claim = try await outbox.claim(ClaimID(rawValue: id)) else {
            throw APIError(.notFound, "not_found", "no claim \(id) in the outbox")
        }
        return ClaimView(claim)
    }

    @Sendable func create(_ request: Request, context: DaemonRequestContext) async throws -> EditedResponse<ClaimCreatedView> {
        var request = request
        let body = try await request.collectBody(upTo: DaemonConfiguration.maximumBodyBytes)
        let slots = self.slots
        let result: ClaimCreation
        do {
            result = try await claims.create(body: Array(buffer: body), cardBeneficiary: { position in
                await slots.claimFileFields(ofBeneficiary: position)
            })
        } catch {
            throw APIError(error)
        }
        var view = ClaimCreatedView(claim: ClaimView(result.claim), created: result.created, signaturePending: result.signaturePending)
        view.claim.source = nil
        return EditedResponse(status: result.created ? .created : .ok, response: view)
    }

    @Sendable func send(_ request: Request, context: DaemonRequestContext) async throws -> SendRoundReport {
        await sender.sendNow()
    }
}

extension SendRoundReport: ResponseEncodable {}

/// `GET /v1/claims`.
struct ClaimList: ResponseEncodable {
    var claims: [ClaimView]
}

/// A claim as the API shows it (the outbox record; the patient's NIR is masked).
public struct ClaimView: Sendable, Equatable, Codable, ResponseEncodable {
    public var id: Int64
    public var invoiceNumber: String
    public var billingNumber: String
    public var organism: String
    public var careDate: String
    public var patient: String
    public var totalCents: Int64
    public var amoCents: Int64
    public var state: String
    public var lotNumber: Int64?
    public var paidCents: Int64?
    public var paymentDate: String?
    public var reasonCode: String?
    public var reasonText: String?
    public var source: String?

    init(_ r: ClaimRecord) {
        id = r.id.rawValue
        invoiceNumber = r.invoiceNumber
        billingNumber = r.billingNumber.description
        organism = r.organism.description
        careDate = r.careDate.description
        patient = r.patientMasked
        totalCents = r.totalCents
        amoCents = r.amoCents
        state = r.state.rawValue
        lotNumber = r.lotNumber
        paidCents = r.paidCents
        paymentDate = r.paymentDate
        reasonCode = r.reasonCode
        reasonText = r.reasonText
        source = r.source
    }
}

/// `POST /v1/claims` answer.
struct ClaimCreatedView: Codable, ResponseEncodable {
    var claim: ClaimView
    var created: Bool
    var signaturePending: String?
}
