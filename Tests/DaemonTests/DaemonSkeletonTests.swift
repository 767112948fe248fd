import Secrets
import AsyncHTTPClient
import Crypto
import Daemon
import Foundation
import Gateway
import NIOCore
import Testing
import TestSupport
import Transmission

/// The daemon's API, lifecycle and outbox wiring against a real gateway over loopback (fake lot format).
@Suite("daemon API and sender")
struct DaemonSkeletonTests {
    let folder: TemporaryFolder
    let alice = TestPractitioner("101234567")

    init() throws { folder = try TemporaryFolder() }

    func configuration(listen: ListenAddress = .tcp(host: "127.0.0.1", port: 0), gatewayURL: String?) throws -> DaemonConfiguration {
        try .forTests(in: folder, listen: listen, gatewayURL: gatewayURL, gatewayToken: alice.token)
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

    @Test func concurrentRetriesOfOneReferenceCreateOneClaim() async throws {
        let daemon = try Daemon(configuration: try configuration(gatewayURL: nil), logger: quietLogger, session: alice.session)
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        let answers = try await withThrowingTaskGroup(of: (status: Int, id: Int?).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let patient: [String: Any] = ["nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12", "amo": "01 751 0001"]
                    let answer = try await api.post("/v1/claims", json: ["reference": "R", "patient": patient, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]])
                    return (answer.status, (answer.json["claim"] as? [String: Any])?["id"] as? Int)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.map(\.status).sorted() == [200, 200, 200, 201])
        #expect(Set(answers.map(\.id)).count == 1 && answers[0].id != nil)
        #expect(try await daemon.outbox.summary().totalClaims == 1)
        try await running.stop()
    }

    @Test func claimsThroughTheAPIGoToTheGatewayAndComeBackPaid() async throws {
        let gateway = try await startGateway(folder: folder, registry: [alice.registration])
        let daemon = try Daemon(configuration: try configuration(gatewayURL: gateway.baseURL), logger: quietLogger, session: alice.session)
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        let events = EventRecorder(api: api)
        try await Wait.until("the event stream to be open") { daemon.events.subscriberCount == 1 }
        let patient: [String: Any] = ["nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12", "amo": "01 751 0001"]
        var ids: [Int] = []
        for i in 0..<3 {
            let answer = try await api.post("/v1/claims", json: ["reference": "R\(i)", "patient": patient, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]])
            #expect(answer.status == 201, "\(answer.text)")
            let claim = try #require(answer.json["claim"] as? [String: Any])
            #expect(claim["state"] as? String == "signed" && claim["totalCents"] as? Int == 3000 && claim["amoCents"] as? Int == 1900)
            #expect((claim["patient"] as? String)?.contains("**") == true && !answer.text.contains("1850578006084"))
            ids.append(try #require(claim["id"] as? Int))
        }
        // A retry with the same reference answers the same claim, creates nothing.
        let retry = try await api.post("/v1/claims", json: ["reference": "R1", "patient": patient, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]])
        #expect(retry.status == 200 && (retry.json["claim"] as? [String: Any])?["id"] as? Int == ids[1])
        #expect(try await api.post("/v1/send").status == 200)
        try await Wait.until("the 3 claims paid") {
            _ = try await api.post("/v1/send")
            let paid = try await api.get("/v1/claims?state=paid").json["claims"] as? [[String: Any]]
            return paid?.count == 3
        }
        let claim = try await api.get("/v1/claims/\(ids[0])").json
        #expect(claim["paidCents"] as? Int == 1900 && claim["state"] as? String == "paid")
        #expect(try gateway.store.counts().invoices == 3)
        try await Wait.until("lot.answered and returns events") { events.types.contains("lot.answered") && events.types.contains("returns") }
        try await running.stop()
        await events.stop()
        await gateway.stop()
    }

    @Test func aBurstOfClaimsGoesInOneLot() async throws {
        let gateway = try await startGateway(folder: folder, registry: [alice.registration])
        var config = try configuration(gatewayURL: gateway.baseURL)
        config.lotGatherDelay = 2
        let daemon = try Daemon(configuration: config, logger: quietLogger, session: alice.session)
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        let patient: [String: Any] = ["nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12", "amo": "01 751 0001"]
        for i in 0..<8 {
            let answer = try await api.post("/v1/claims", json: ["reference": "B\(i)", "patient": patient, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]])
            #expect(answer.status == 201, "\(answer.text)")
        }
        // No POST /v1/send: the wake-ups of the claims alone send them, gathered.
        try await Wait.until("the gateway to hold the 8 claims", timeout: .seconds(30)) { try gateway.store.counts().invoices == 8 }
        #expect(try gateway.store.counts().acceptedLots == 1)
        try await Wait.until("the daemon to record the ARL") {
            let claims = try await api.get("/v1/claims").json["claims"] as? [[String: Any]]
            return claims?.count == 8 && claims?.allSatisfy { ["acknowledged", "paid"].contains($0["state"] as? String) } == true
        }
        try await running.stop()
        await gateway.stop()
    }

    @Test func invalidClaimsAreRefusedNamingTheFields() async throws {
        let daemon = try Daemon(configuration: try configuration(gatewayURL: nil), logger: quietLogger, session: alice.session)
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        let bad = try await api.post("/v1/claims", json: ["patient": ["nir": "1850578006084", "nir_key": "92", "birth_date": "1985-05-12", "amo": "01 751 0001"],
                                                          "care_date": "2026-11-20", "acts": ["ZZZ9"], "colour": "blue"])
        #expect(bad.status == 422)
        let fields = (bad.json["problems"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
        #expect(fields.contains("colour"), "\(bad.text)")
        #expect(!bad.text.contains("1850578006084"))
        let rules = try await api.post("/v1/claims", json: ["patient": ["nir": "1850578006084", "nir_key": "92", "birth_date": "1985-05-12", "amo": "01 751 0001"],
                                                            "care_date": "2026-11-20", "acts": ["G"]])
        #expect(rules.status == 422 && rules.text.contains("nir_key"), "\(rules.text)")
        #expect(try await api.post("/v1/claims", json: ["care_date": "2026-11-20", "acts": ["G"], "beneficiary": 1]).status == 409)
        #expect(try await daemon.outbox.summary().totalClaims == 0)
        try await running.stop()
    }
}
