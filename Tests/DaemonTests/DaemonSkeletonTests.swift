import AsyncHTTPClient
import Crypto
import Daemon
import Foundation
import Gateway
import NIOCore
import Testing
import Transmission
import Synchronization

/// The daemon's API, lifecycle and outbox wiring against a real gateway over loopback (fake lot format).
@Suite("daemon API and sender")
struct DaemonSkeletonTests {
    let folder: TemporaryFolder
    let alice = TestPractitioner("101234567")

    init() throws { folder = try TemporaryFolder() }

    func configuration(listen: ListenAddress = .tcp(host: "127.0.0.1", port: 0), gatewayURL: String?) throws -> DaemonConfiguration {
        var c = DaemonConfiguration()
        c.listen = listen
        c.apiTokenFile = folder.path("api-token")
        c.stateDirectory = folder.path("state")
        c.sendInterval = 3600
        if let gatewayURL {
            try writeSecret(alice.token, to: folder.path("gateway-token"))
            c.gateway = .init(url: gatewayURL, tokenFile: folder.path("gateway-token"))
        }
        return c
    }

    @Test func apiNeedsTheTokenAndServesStatus() async throws {
        let daemon = try Daemon(configuration: try configuration(gatewayURL: nil), logger: quietLogger)
        let running = try await daemon.start()
        let token = try SecretFile.read(folder.path("api-token"))
        #expect(try await APIClient(running.address, token: nil).get("/v1/health").status == 200)
        #expect(try await APIClient(running.address, token: nil).get("/v1/status").status == 401)
        #expect(try await APIClient(running.address, token: "x" + token.dropFirst()).get("/v1/status").status == 401)
        let status = try await APIClient(running.address, token: token).get("/v1/status")
        #expect(status.status == 200)
        #expect((status.json["sender"] as? [String: Any])?["enabled"] as? Bool == false)
        try await running.stop()
    }

    @Test func listensOnAUnixSocketWithMode0600() async throws {
        let socket = folder.path("api.sock")
        let daemon = try Daemon(configuration: try configuration(listen: .unix(path: socket), gatewayURL: nil), logger: quietLogger)
        let running = try await daemon.start()
        let attributes = try FileManager.default.attributesOfItem(atPath: socket)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let token = try SecretFile.read(folder.path("api-token"))
        #expect(try await APIClient(running.address, token: token).get("/v1/status").status == 200)
        #expect(try await APIClient(running.address, token: nil).get("/v1/claims").status == 401)
        try await running.stop()
    }

    @Test func claimsGoToTheGatewayAndComeBackPaid() async throws {
        var gatewayConfig = GatewayConfiguration(databasePath: folder.path("gateway.sqlite"), registry: PractitionerRegistry([alice.registration]))
        gatewayConfig.port = 0
        let gateway = try await InsurerGateway(configuration: gatewayConfig, processor: FakeLotProcessor(), logger: quietLogger).start()
        let signing = FakeSigning(billingNumber: alice.billingNumber, key: alice.key)
        let daemon = try Daemon(configuration: try configuration(gatewayURL: gateway.baseURL), logger: quietLogger, signing: signing)
        // Three claims built (e.g. before a SIGKILL): the daemon signs, lots, sends them and fetches the returns.
        let first = try daemon.outbox.reserve("invoice", count: 3, billingNumber: alice.billingNumber)
        _ = try daemon.outbox.add((0..<3).map { i in
            NewClaim(billingNumber: alice.billingNumber, invoiceNumber: String(format: "%09lld", first + Int64(i)), organism: "011750001",
                     careDate: "2026-11-27", patientMasked: Masking.nir("185057800608436"), totalCents: 3000, amoCents: 1900, fse: Array("1900".utf8))
        })
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        let events = EventRecorder(api: api)
        try await Wait.until("the event stream to be open") { daemon.events.subscriberCount == 1 }
        let report = try await api.post("/v1/send")
        #expect(report.status == 200)
        try await Wait.until("the 3 claims paid") {
            _ = try await api.post("/v1/send")
            let paid = try await api.get("/v1/claims?state=paid").json["claims"] as? [[String: Any]]
            return paid?.count == 3
        }
        let claims = try #require(try await api.get("/v1/claims").json["claims"] as? [[String: Any]])
        #expect(claims.allSatisfy { ($0["patient"] as? String) == "1 85 ** ** *** *** **" && ($0["paidCents"] as? Int) == 1900 })
        #expect(try gateway.store.counts().invoices == 3)
        try await Wait.until("lot.answered and returns events") { events.types.contains("lot.answered") && events.types.contains("returns") }
        try await running.stop()
        await events.stop()
        await gateway.stop()
    }
}

/// Records the types of the events of `GET /v1/events` (SSE), read line by line.
final class EventRecorder: Sendable {
    private let seen = Mutex<[String]>([])
    private let task: Task<Void, Never>

    init(api: APIClient) {
        let seen = self.seen
        task = Task {
            var request = HTTPClientRequest(url: api.base + "/v1/events")
            request.headers.add(name: "Authorization", value: "Bearer \(api.token ?? "")")
            guard let response = try? await APIClient.http.execute(request, timeout: .hours(1)) else { return }
            var pending = ""
            do {
                for try await chunk in response.body {
                    pending += String(buffer: chunk)
                    while let newline = pending.firstIndex(of: "\n") {
                        let line = pending[..<newline]
                        if line.hasPrefix("event: ") { seen.withLock { $0.append(String(line.dropFirst(7))) } }
                        pending = String(pending[pending.index(after: newline)...])
                    }
                }
            } catch {}
        }
    }

    var types: [String] { seen.withLock { $0 } }

    func stop() async {
        task.cancel()
        await task.value
    }
}
