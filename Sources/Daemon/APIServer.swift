import Foundation
import Hummingbird
import Logging
import NIOCore
import Transmission

/// The request context of the local API.
public struct DaemonRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}

/// Checks `Authorization: Bearer TOKEN` against the daemon's token (constant-time comparison).
struct BearerAuthentication: RouterMiddleware {
    typealias Context = DaemonRequestContext
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              SecretFile.constantTimeEqual(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), token)
        else {
            var response = APIResponse.problem(.unauthorized, "unauthorized", "the daemon's bearer token is required (the token file named by apiTokenFile)")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"vitaled\""
            return response
        }
        return try await next(request, context)
    }
}

/// JSON answers and problem documents.
enum APIResponse {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable, encoder: JSONEncoder = APIResponse.encoder) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{"error": code, "message": text}`; the text never carries personal data.
    static func problem(_ status: HTTPResponse.Status, _ code: String, _ message: String, extra: [String: String] = [:]) -> Response {
        var body = extra
        body["error"] = code
        body["message"] = message
        return json(status, body)
    }
}

/// A claim as the API shows it (the outbox record; the patient's NIR is masked).
public struct ClaimView: Sendable, Equatable, Codable {
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
        id = r.id
        invoiceNumber = r.invoiceNumber
        billingNumber = r.billingNumber
        organism = r.organism
        careDate = r.careDate
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

/// Server-sent events: `id`, `event` and one `data` line of JSON per event, a comment every 15 s to keep
/// the connection alive through proxies.
enum ServerSentEvents {
    static func response(events: EventHub, lastEventID: Int64?, heartbeat: Duration = .seconds(15)) -> Response {
        let subscription = events.subscribe(after: lastEventID)
        let (merged, continuation) = AsyncStream.makeStream(of: ByteBuffer.self, bufferingPolicy: .bufferingNewest(1024))
        let forward = Task {
            for await event in subscription {
                continuation.yield(ByteBuffer(string: encode(event)))
            }
            continuation.finish()
        }
        let beat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: heartbeat)
                if Task.isCancelled { break }
                continuation.yield(ByteBuffer(string: ": keep-alive\n\n"))
            }
        }
        continuation.onTermination = { _ in
            forward.cancel()
            beat.cancel()
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 1000\n: connected\n\n"))
            for await buffer in merged {
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    static func encode(_ event: DaemonEvent) -> String {
        let json = (try? APIResponse.encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(event.id)\nevent: \(event.type.rawValue)\ndata: \(json)\n\n"
    }
}
