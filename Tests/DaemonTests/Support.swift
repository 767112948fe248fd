import AsyncHTTPClient
import Crypto
import Daemon
import Foundation
import Gateway
import Logging
import NIOCore
import NIOHTTP1
import Transmission
import Claims
import TestSupport

/// A temporary folder removed at the end of a test.
final class TemporaryFolder: Sendable {
    let url: URL

    init() throws {
        url = URL(fileURLWithPath: "/tmp").appendingPathComponent("ovd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Writes `text` to `path` with `mode`.
func writeSecret(_ text: String, to path: String, mode: Int = 0o600) throws {
    _ = FileManager.default.createFile(atPath: path, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: mode])
    chmod(path, mode_t(mode))
}

enum Wait {
    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }

    /// Polls `condition` until it is true or the deadline passes (never a bare sleep as synchronisation).
    static func until(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Timeout(description: "timed out after \(timeout) waiting for \(what)")
    }
}

var quietLogger: Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}

/// A client of the daemon's API over loopback TCP or a Unix socket.
struct APIClient: Sendable {
    let base: String
    let token: String?
    static let http = HTTPClient(eventLoopGroupProvider: .singleton)

    init(_ address: Daemon.BoundAddress, token: String?) {
        switch address {
        case .tcp: base = "\(address)"
        case .unix(let path):
            base = "http+unix://" + path.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        }
        self.token = token
    }

    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func request(_ method: HTTPMethod, _ path: String, json: Any? = nil, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        }
        let response = try await Self.http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), body: Array(buffer: body))
    }

    func get(_ path: String) async throws -> Answer { try await request(.GET, path) }
    func post(_ path: String, json: Any? = nil) async throws -> Answer { try await request(.POST, path, json: json) }
}

/// A practitioner registered with the test gateway, signing with a software key.
struct TestPractitioner: Sendable {
    let billingNumber: String
    let keyBytes: [UInt8]
    let token: String
    var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: keyBytes) }

    init(_ billingNumber: String, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.billingNumber = billingNumber
        keyBytes = Array(key.rawRepresentation)
        token = PractitionerRegistry.newToken()
    }


    var registration: RegisteredPractitioner {
        RegisteredPractitioner(billingNumber: billingNumber, label: "test", publicKey: Array(key.publicKey.x963Representation),
                               tokenSHA256: PractitionerRegistry.hash(token: token))
    }

    /// A software session for this practitioner.
    var session: PractitionerSession {
        PractitionerSession(situation: PractitionerSituation(billingNumber: try! BillingNumber(billingNumber)),
                            signer: SoftwareClaimSigner(privateKey: key), origin: .software)
    }
}

var tariffsDirectory: String { RepositoryPaths.fixtures.appendingPathComponent("tariffs").path }

/// A real insurer gateway on loopback, pricing with the fixture tariffs.
func startGateway(folder: TemporaryFolder, registry: [RegisteredPractitioner], faults: FaultInjection = .init(), port: Int = 0) async throws -> RunningGateway {
    var config = GatewayConfiguration(databasePath: folder.path("gateway.sqlite"), registry: PractitionerRegistry(registry))
    config.port = port
    config.faults = faults
    let tariffs = try TariffTable(contentsOfDirectory: URL(fileURLWithPath: tariffsDirectory))
    return try await InsurerGateway(configuration: config, processor: ClaimsLotProcessor(tariffs: tariffs), logger: quietLogger).start()
}
