import AsyncHTTPClient
import Crypto
import Daemon
import Foundation
import Gateway
import NIOCore
import NIOHTTP1
import Transmission
import Claims
import Synchronization
import TestSupport

/// Writes `text` to `path` with `mode`.
func writeSecret(_ text: String, to path: String, mode: Int = 0o600) throws {
    _ = FileManager.default.createFile(atPath: path, contents: Data((text + "\n").utf8), attributes: [.posixPermissions: mode])
    chmod(path, mode_t(mode))
}

extension DaemonConfiguration {
    /// The tests' configuration: the API on loopback (port 0) unless `listen` says otherwise, its token and the
    /// state in `folder`, background rounds hourly (tests send with `POST /v1/send`), the fixture tariffs, the
    /// given readers, and the gateway with the practitioner's `gatewayToken` (written 0600 in `folder`).
    static func forTests(in folder: TemporaryFolder, listen: ListenAddress = .tcp(host: "127.0.0.1", port: 0),
                         vitaleReader: String? = nil, cpsReader: String? = nil,
                         gatewayURL: String? = nil, gatewayToken: String? = nil) throws -> DaemonConfiguration {
        var c = DaemonConfiguration()
        c.listen = listen
        c.apiTokenFile = folder.path("api-token")
        c.stateDirectory = folder.path("state")
        c.sendInterval = 3600
        c.tariffsDirectory = DaemonTests.tariffsDirectory
        if let vitaleReader { c.vitaleReader = vitaleReader }
        if let cpsReader { c.cpsReader = cpsReader }
        if let gatewayURL, let gatewayToken {
            try writeSecret(gatewayToken, to: folder.path("gateway-token"))
            c.gateway = .init(url: gatewayURL, tokenFile: folder.path("gateway-token"))
        }
        return c
    }
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

/// A test practitioner signing with a software key.
extension TestPractitioner {
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

/// Records the events of `GET /v1/events` (server-sent events) in a task of its own.
final class EventRecorder: Sendable {
    private let seen = LockedEvents()
    private let task: Task<Void, Never>

    init(api: APIClient) {
        let seen = self.seen
        task = Task {
            var request = HTTPClientRequest(url: api.base + "/v1/events")
            request.headers.add(name: "Authorization", value: "Bearer \(api.token ?? "")")
            guard let response = try? await APIClient.http.execute(request, timeout: .hours(1)) else { return }
            var pending: [UInt8] = []
            do {
                for try await chunk in response.body {
                    pending.append(contentsOf: chunk.readableBytesView)
                    while let newline = pending.firstIndex(of: 0x0A) {
                        let line = String(decoding: pending[..<newline], as: UTF8.self)
                        pending.removeSubrange(...newline)
                        guard line.hasPrefix("data: "),
                              let event = try? JSONDecoder().decode(DaemonEvent.self, from: Data(line.dropFirst(6).utf8)) else { continue }
                        seen.append(event)
                    }
                }
            } catch {}
        }
    }

    /// The types of the events received so far, in order.
    var types: [String] { seen.all.map(\.type.rawValue) }

    /// How many events were received so far.
    var count: Int { seen.all.count }

    /// Whether events of these types (with this `slot`, when given) came in this order among those received
    /// after the first `after`.
    func inOrder(after: Int, _ expected: [(type: String, slot: String?)]) -> Bool {
        var next = expected.startIndex
        for event in seen.all.dropFirst(after) where next < expected.endIndex {
            let want = expected[next]
            if event.type.rawValue == want.type, want.slot == nil || event.data["slot"] == want.slot { next += 1 }
        }
        return next == expected.endIndex
    }

    /// Ends the subscription (without waiting).
    func cancel() { task.cancel() }

    /// Ends the subscription and waits for the reading task.
    func stop() async {
        task.cancel()
        await task.value
    }

    final class LockedEvents: Sendable {
        private let events = Mutex<[DaemonEvent]>([])
        var all: [DaemonEvent] { events.withLock { $0 } }
        func append(_ event: DaemonEvent) { events.withLock { $0.append(event) } }
    }
}
