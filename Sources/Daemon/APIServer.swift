import Foundation
import Secrets
import Hummingbird
import Logging
import NIOCore
import Transmission

/// The request context of the local API: answers are encoded by ``APIEncoder`` (JSON, sorted keys, not cached).
public struct DaemonRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    public var responseEncoder: APIEncoder { APIEncoder() }
}

/// Encodes the API's answers: JSON with sorted keys, `Content-Type: application/json`, `Cache-Control: no-store`
/// (answers carry health data).
public struct APIEncoder: ResponseEncoder, Sendable {
    /// Set on the encoder's `userInfo` (e.g. `NIR.revealInEncoding`), for views that need it.
    var userInfo: [CodingUserInfoKey: any Sendable] = [:]

    public init() {}

    init(userInfo: [CodingUserInfoKey: any Sendable]) { self.userInfo = userInfo }

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        try response(.ok, value)
    }

    /// The answer with `status` and `value` as its body.
    func response(_ status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.userInfo = userInfo
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// The API's one error answer: `{"error": code, "message": text, "problems"?: [{"field", "reason"}], …}`. Routes
/// and middleware throw it; the text never carries personal data.
struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    /// Stable code, e.g. `bad_request`, `invalid_claim`, `wrong_pin`.
    public var code: String
    public var message: String
    /// Every problem by field, when there are some.
    public var problems: [ClaimCreationError.Problem]?
    /// More members of the body, as text (e.g. `triesLeft`).
    public var extra: [String: String] = [:]
    /// Headers of the answer (e.g. `WWW-Authenticate`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, problems: [ClaimCreationError.Problem]? = nil,
                extra: [String: String] = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.problems = problems
        self.extra = extra
    }

    /// A claim that could not be created, with its status and problems.
    init(_ error: ClaimCreationError) {
        self.init(.init(code: error.status), error.code, error.message, problems: error.problems.isEmpty ? nil : error.problems)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try response()
    }

    /// The answer, outside a route (middleware that answers before the router).
    func response() throws -> Response {
        var response = try APIEncoder().response(status, Body(error: self))
        for field in headers { response.headers.append(field) }
        return response
    }

    /// The JSON body.
    struct Body: Encodable {
        let error: APIError

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(_ string: String) { stringValue = string }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in error.extra where !["error", "message", "problems"].contains(key) {
                try container.encode(value, forKey: Key(key))
            }
            try container.encode(error.code, forKey: Key("error"))
            try container.encode(error.message, forKey: Key("message"))
            try container.encodeIfPresent(error.problems, forKey: Key("problems"))
        }
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
            var error = APIError(.unauthorized, "unauthorized", "the daemon's bearer token is required (the token file named by apiTokenFile)")
            error.headers[.wwwAuthenticate] = "Bearer realm=\"vitaled\""
            throw error
        }
        return try await next(request, context)
    }
}

/// `GET /v1/health`: `{"status": "ok"}`, without a token.
struct HealthView: ResponseEncodable {
    var status = "ok"
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

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func encode(_ event: DaemonEvent) -> String {
        let json = (try? encoder.encode(event)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return "id: \(event.id)\nevent: \(event.type.rawValue)\ndata: \(json)\n\n"
    }
}
