import AsyncHTTPClient
import Foundation
import GatewayAPI
import NIOCore
import NIOHTTP1

/// The HTTP client of the insurer gateway (docs/gateway-openapi.yaml, the wire types of ``GatewayAPI``), over
/// AsyncHTTPClient.
public struct GatewayClient: Sendable {
    /// The gateway's base URL, e.g. `http://127.0.0.1:8443`.
    public let baseURL: String
    let token: String
    let httpClient: HTTPClient
    /// Time allowed for one request.
    public var timeout: TimeAmount = .seconds(30)

    /// The HTTP client used when none is given: connection failures fail the request at once (the
    /// ``Transmitter`` retries with its own backoff), connect timeout 5 s. Never shut down.
    public static let sharedHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A client authenticating with the practitioner's bearer `token`.
    public init(baseURL: String, token: String, httpClient: HTTPClient = GatewayClient.sharedHTTPClient) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.httpClient = httpClient
    }

    /// Why a request to the gateway failed: the HTTP status when the gateway answered, never a message to parse.
    public enum Failure: Error, CustomStringConvertible, Sendable, Equatable {
        /// No answer: connection refused or dropped, timeout (`request` is `METHOD /path`).
        case unreachable(request: String, reason: String)
        /// The gateway answered with a status the call does not accept, and its error body when it sent one.
        case status(UInt, request: String, body: ErrorBody?)
        /// A success status whose body is not what the API defines.
        case unreadableAnswer(request: String, reason: String)

        /// The HTTP status of the answer, when there was one.
        public var httpStatus: UInt? {
            if case .status(let code, _, _) = self { code } else { nil }
        }

        /// Worth retrying: no answer, 5xx, 429 or 408. Everything else would fail the same way again.
        public var isTransient: Bool {
            switch self {
            case .unreachable: true
            case .status(let code, _, _): code >= 500 || code == 429 || code == 408
            case .unreadableAnswer: false
            }
        }

        /// True when the gateway refused the credentials (401).
        public var isUnauthorized: Bool { httpStatus == 401 }

        /// `transient: …` or `permanent: …`, for reports and logs (no personal data: the gateway's messages have none).
        public var description: String {
            let detail: String = switch self {
            case .unreachable(let request, let reason): "\(request): \(reason)"
            case .status(let code, let request, let body): "\(code) on \(request): \(body?.message ?? "no error body")"
            case .unreadableAnswer(let request, let reason): "unreadable answer to \(request): \(reason)"
            }
            return (isTransient ? "transient: " : "permanent: ") + detail
        }
    }

    /// Submits a lot and returns its ARL (positive or negative).
    public func submit(lot bytes: [UInt8]) async throws(Failure) -> ARL {
        var request = HTTPClientRequest(url: baseURL + GatewayPaths.lots)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        return try await send(request, path: GatewayPaths.lots, as: ARL.self, accept: [200, 201])
    }

    /// The ARL of a lot number, or nil when the gateway never received it (404).
    public func arl(lotNumber: Int64) async throws(Failure) -> ARL? {
        let path = GatewayPaths.lotARL(lotNumber)
        do {
            return try await send(HTTPClientRequest(url: baseURL + path), path: path, as: ARL.self, accept: [200])
        } catch where error.httpStatus == 404 {
            return nil
        }
    }

    /// Returns (RSP) after `cursor`.
    public func returns(after cursor: Int64, limit: Int = GatewayPaths.defaultReturnsLimit) async throws(Failure) -> ReturnsPage {
        let path = GatewayPaths.returns(after: cursor, limit: limit)
        return try await send(HTTPClientRequest(url: baseURL + path), path: GatewayPaths.returns, as: ReturnsPage.self, accept: [200])
    }

    private func send<T: Decodable>(_ request: HTTPClientRequest, path: String, as type: T.Type, accept: Set<UInt>) async throws(Failure) -> T {
        var request = request
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        let name = "\(request.method.rawValue) \(path)"
        let status: UInt
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            status = response.status.code
            body = try await response.body.collect(upTo: 8 << 20)
        } catch {
            throw .unreachable(request: name, reason: "\(error)")
        }
        guard accept.contains(status) else {
            throw .status(status, request: name, body: try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)))
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw .unreadableAnswer(request: name, reason: "\(error)")
        }
    }
}
