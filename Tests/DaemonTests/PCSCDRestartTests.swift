import Secrets
import AsyncHTTPClient
import Crypto
import Daemon
import Foundation
import Testing
import TestSupport

/// The `vitaled` program on a leased test reader, the carte Vitale and the CPS presented by two `vitale-card`
/// programs, through a restart of the real pcscd. For the daemon a pcscd restart is every reader unplugged and
/// plugged back: the readers vanish with their cards and come back, the cards are powered again (the CPS forgets
/// its verified PIN). The restart takes pcscd for exclusive use (``PCSCDaemon/withExclusiveUse(deadline:_:)``),
/// as the PCSC binding's restart test does, so no other test sees pcscd vanish.
@Suite("vitaled process through a pcscd restart")
struct PCSCDRestartTests {
    @Test(
        "vitaled keeps running, reads the cards again, asks the PIN again and sends what comes after",
        .enabled(if: PCSCDaemon.canRestart, "the running pcscd was not started by Hardware/pcscd-ctl: it is not ours to restart"),
        .timeLimit(.minutes(4)))
    func vitaledSurvivesAPCSCDRestart() async throws {
        try await PCSCDaemon.withExclusiveUse { lease in
            let folder = try TemporaryFolder()
            let cards = RepositoryPaths.fixtures.appendingPathComponent("cards")
            let cpsImage = try Fixture.image("cps-gp-secteur1")
            let practitioner = TestPractitioner("751000126", key: try P256.Signing.PrivateKey(rawRepresentation: Fixture.cpsKey(cpsImage)))
            let gateway = try await startGateway(folder: folder, registry: [practitioner.registration])

            let vitaleCard = try ChildProcess("vitale-card", [cards.appendingPathComponent("family.json").path, "--port", "\(lease.slot0Port)",
                                                              "--log-level", "warning"], folder: folder, name: "vitale-card", interactive: true)
            let cpsCard = try ChildProcess("vitale-card", [cards.appendingPathComponent("cps-gp-secteur1.json").path, "--port", "\(lease.slot1Port)",
                                                           "--log-level", "warning"], folder: folder, name: "cps-card", interactive: true)
            defer {
                vitaleCard.kill(SIGTERM)
                cpsCard.kill(SIGTERM)
            }
            #expect(try await vitaleCard.nextLine()?.hasPrefix("ready vitale2") == true, "\(vitaleCard.stderr)")
            #expect(try await cpsCard.nextLine()?.hasPrefix("ready cps") == true, "\(cpsCard.stderr)")

            try writeSecret(practitioner.token, to: folder.path("gateway-token"))
            let socket = folder.path("api.sock")
            let config: [String: Any] = [
                "listen": "unix:\(socket)", "apiTokenFile": folder.path("api-token"), "stateDirectory": folder.path("state"),
                "vitaleReader": lease.readerName(slot: 0), "cpsReader": lease.readerName(slot: 1), "tariffsDirectory": tariffsDirectory,
                "gateway": ["url": gateway.baseURL, "tokenFile": folder.path("gateway-token")],
                "sendInterval": 3600, "logLevel": "info",
            ]
            try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: folder.path("vitaled.json")))
            let vitaled = try ChildProcess("vitaled", ["--config", folder.path("vitaled.json")], folder: folder, name: "vitaled")
            defer { vitaled.kill(SIGKILL) }
            try await Wait.until("vitaled listening", timeout: .seconds(30)) {
                guard vitaled.isRunning else { throw Wait.Timeout(description: "vitaled exited: \(vitaled.stderr)") }
                return (try? await APIClient(.unix(path: socket), token: nil).get("/v1/health").status) == 200
            }
            let api = APIClient(.unix(path: socket), token: try SecretFile.read(folder.path("api-token")))
            let events = EventRecorder(api: api)
            defer { events.cancel() }
            try await Wait.until("the event stream subscribed") { try await api.get("/v1/status").json["eventSubscribers"] as? Int == 1 }

            // Before the restart: the card read, the PIN given, a claim signed, sent and paid.
            try await Wait.until("the card read") { try await api.get("/v1/card?wait=2000").json["state"] as? String == "present" }
            try await Wait.until("the CPS read") { try await api.get("/v1/cps").json["pin"] as? String == "required" }
            #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
            let before = try await api.post("/v1/claims", json: claim("before", beneficiary: 1))
            #expect(before.status == 201 && (before.json["claim"] as? [String: Any])?["state"] as? String == "signed", "\(before.text)")
            try await waitUntilPaid(api, count: 1)

            // pcscd restarts.
            let mark = events.count
            try await onOwnThread { try PCSCDaemon.restart() }

            // Every reader gone and back, the cards read again; vitaled still runs.
            try await Wait.until("the readers gone and back, the cards read again", timeout: .seconds(45)) {
                guard vitaled.isRunning else { throw Wait.Timeout(description: "vitaled exited: \(vitaled.stderr.suffix(3000))") }
                return events.inOrder(after: mark, [
                    ("pcsc.lost", nil), ("reader.removed", "vitale"), ("reader.removed", "cps"), ("pcsc.restored", nil),
                ]) && events.inOrder(after: mark, [("pcsc.restored", nil), ("reader.added", "vitale"), ("vitale.read", nil)])
                    && events.inOrder(after: mark, [("pcsc.restored", nil), ("reader.added", "cps"), ("cps.read", nil)])
            }
            #expect(events.inOrder(after: mark, [("pcsc.lost", nil), ("cps.session.closed", nil), ("pcsc.restored", nil)]))
            let status = try await api.get("/v1/status").json
            #expect(status["vitale"] as? String == "present" && status["cps"] as? String == "present" && status["session"] == nil, "\(status)")
            let beneficiaries = try await api.get("/v1/card/beneficiaries").json["beneficiaries"] as? [[String: Any]]
            #expect(beneficiaries?.count == 4)

            // The restart reset the CPS: no session until the PIN is given again.
            #expect(try await api.get("/v1/cps").json["pin"] as? String == "required")
            let refused = try await api.post("/v1/claims", json: claim("after", beneficiary: 2))
            #expect(refused.status == 409 && refused.json["error"] as? String == "pin_required", "\(refused.text)")
            #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
            let after = try await api.post("/v1/claims", json: claim("after", beneficiary: 2))
            #expect(after.status == 201 && (after.json["claim"] as? [String: Any])?["state"] as? String == "signed", "\(after.text)")
            try await waitUntilPaid(api, count: 2)

            // The CPS pulled out in the middle of the lot's signature (the FSE's signature is answered: PSO and,
            // under T=0, GET RESPONSE; the lot's PSO is in flight): the lot keeps its number, is signed once the
            // CPS is back with its PIN, and the gateway gets every claim once.
            cpsCard.send("fault remove-after 2")
            #expect(try await cpsCard.nextLine() == "ok")
            let lotMark = events.count
            let third = try await api.post("/v1/claims", json: claim("lot-interrupted", beneficiary: 3))
            #expect(third.status == 201 && (third.json["claim"] as? [String: Any])?["state"] as? String == "signed", "\(third.text)")
            try await Wait.until("the CPS gone during the lot's signature") {
                events.inOrder(after: lotMark, [("claim.signed", nil), ("cps.removed", nil)])
            }
            #expect(try await api.get("/v1/session").json["open"] as? Bool == false)
            let thirdID = try #require((third.json["claim"] as? [String: Any])?["id"] as? Int)
            let waiting = try await api.get("/v1/claims/\(thirdID)").json["state"] as? String
            #expect(waiting == "signed" || waiting == "in_lot", "\(waiting ?? "-")")
            #expect(try gateway.store.counts().invoices == 2)
            cpsCard.send("clear")
            #expect(try await cpsCard.nextLine() == "ok")
            cpsCard.send("insert")
            #expect(try await cpsCard.nextLine()?.hasPrefix("ok inserted") == true)
            try await Wait.until("the CPS read again") { try await api.get("/v1/cps").json["pin"] as? String == "required" }
            #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
            try await waitUntilPaid(api, count: 3)
            #expect(try gateway.store.counts().invoices == 3)

            kill(vitaled.pid, SIGTERM)
            #expect(try await vitaled.wait(timeout: .seconds(30)) == 0, "\(vitaled.stderr.suffix(3000))")
            let log = vitaled.stderr
            #expect(log.contains("pcscd unreachable") && log.contains("pcscd reachable again"), "\(log.suffix(3000))")
            #expect(!log.contains("178057505612343"), "a NIR in clear in the log")
            await gateway.stop()
        }
    }

    func claim(_ reference: String, beneficiary: Int) -> [String: Any] {
        ["reference": reference, "beneficiary": beneficiary, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]]
    }

    /// Runs sending rounds until `count` claims are paid.
    func waitUntilPaid(_ api: APIClient, count: Int) async throws {
        try await Wait.until("\(count) claims paid", timeout: .seconds(30)) {
            _ = try await api.post("/v1/send")
            return (try await api.get("/v1/claims?state=paid").json["claims"] as? [[String: Any]])?.count == count
        }
    }
}
