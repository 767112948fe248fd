import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The HTTP client of the insurer gateway (docs/gateway-openapi.yaml), over AsyncHTTPClient.
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

    /// Why a request to the gateway failed.
    public enum Failure: Error, CustomStringConvertible, Sendable {
        /// Worth retrying: connection refused or dropped, timeout, 5xx, 429.
        case transient(String)
        /// Not worth retrying as is: 4xx, an unreadable answer.
        case permanent(String)

        public var description: String {
            switch self {
            case .transient(let s): "transient: \(s)"
            case .permanent(let s): "permanent: \(s)"
            }
        }

        public var isTransient: Bool { if case .transient = self { true } else { false } }
    }

    /// Submits a lot and returns its ARL (positive or negative).
    public func submit(lot bytes: [UInt8]) async throws(Failure) -> ARL {
        var request = HTTPClientRequest(url: baseURL + "/v1/lots")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .bytes(ByteBuffer(bytes: bytes))
        return try await send(request, as: ARL.self, accept: [200, 201])
    }

    /// The ARL of a lot number, or nil when the gateway never received it.
    public func arl(lotNumber: Int64) async throws(Failure) -> ARL? {
        let request = HTTPClientRequest(url: baseURL + "/v1/lots/\(lotNumber)/arl")
        do {
            return try await send(request, as: ARL.self, accept: [200])
        } catch .permanent(let message) where message.hasPrefix("404") {
            return nil
        }
    }

    /// Returns (RSP) after `cursor`.
    public func returns(after cursor: Int64, limit: Int = 500) async throws(Failure) -> RSPPage {
        let request = HTTPClientRequest(url: baseURL + "/v1/returns?after=\(cursor)&limit=\(limit)")
        return try await send(request, as: RSPPage.self, accept: [200])
    }

    private func send<T: Decodable>(_ request: HTTPClientRequest, as type: T.Type, accept: Set<UInt>) async throws(Failure) -> T {
        var request = request
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        let status: UInt
        let body: ByteBuffer
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            status = response.status.code
            body = try await response.body.collect(upTo: 8 << 20)
        } catch {
            throw .transient("\(request.method.rawValue) \(pathOnly(request.url)): \(error)")
        }
        guard accept.contains(status) else {
            let message = (try? JSONDecoder().decode(ServerError.self, from: Data(body.readableBytesView)))?.message ?? String(decoding: body.readableBytesView.prefix(200), as: UTF8.self)
            let text = "\(status) on \(request.method.rawValue) \(pathOnly(request.url)): \(message)"
            if status >= 500 || status == 429 || status == 408 { throw .transient(text) }
            throw .permanent(text)
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw .permanent("unreadable answer to \(request.method.rawValue) \(pathOnly(request.url)): \(error)")
        }
    }

    private func pathOnly(_ url: String) -> String {
        url.hasPrefix(baseURL) ? String(url.dropFirst(baseURL.count)) : url
    }

    struct ServerError: Decodable { var message: String }
}
