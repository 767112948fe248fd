import Secrets
import Crypto
import Daemon
import Foundation
import Gateway
import Testing
import TestSupport

/// The card flow of the API with emulated cards in-process: Vitale read, CPS PIN, claim from a beneficiary
/// of the card, paid by the gateway.
@Suite("card flow (in-process cards)")
struct CardFlowTests {
    let folder: TemporaryFolder
    init() throws { folder = try TemporaryFolder() }

    func configuration(gatewayURL: String?, token: String?) throws -> DaemonConfiguration {
        try .forTests(in: folder, vitaleReader: "R 00 00", cpsReader: "R 00 01", gatewayURL: gatewayURL, gatewayToken: token)
    }

    @Test func insertReadPINClaimPaidRemove() async throws {
        let cps = try Fixture.image("cps-gp-secteur1")
        let practitioner = TestPractitioner("751000126", key: try P256.Signing.PrivateKey(rawRepresentation: Fixture.cpsKey(cps)))
        let gateway = try await startGateway(folder: folder, registry: [practitioner.registration])
        let readers = InProcessReaders(readers: ["R 00 00", "R 00 01"])
        let daemon = try Daemon(configuration: try configuration(gatewayURL: gateway.baseURL, token: practitioner.token), logger: quietLogger,
                                cards: (readers, readers.events))
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))

        readers.insert(try Fixture.image("family"), in: "R 00 00")
        try await Wait.until("the card read") { try await api.get("/v1/card?wait=1000").json["state"] as? String == "present" }
        let card = try await api.get("/v1/card").json
        let beneficiaries = try #require((card["card"] as? [String: Any])?["beneficiaries"] as? [[String: Any]])
        #expect(beneficiaries.count == 4)
        #expect(!(try await api.get("/v1/card").text.contains("178057505612343")))
        #expect(try await api.get("/v1/card?reveal=true").status == 403)

        // No session yet: the claim is refused, nothing stored.
        let claim: [String: Any] = ["reference": "visit-1", "beneficiary": 1, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]]
        #expect(try await api.post("/v1/claims", json: claim).status == 409)

        readers.insert(cps, in: "R 00 01")
        try await Wait.until("the CPS read") { try await api.get("/v1/cps").json["state"] as? String == "present" }
        let wrong = try await api.post("/v1/cps/pin", json: ["pin": "0000"])
        #expect(wrong.status == 403 && wrong.json["triesLeft"] as? String == "2")
        #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
        #expect(try await api.get("/v1/session").json["origin"] as? String == "cps")

        let created = try await api.post("/v1/claims", json: claim)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require((created.json["claim"] as? [String: Any])?["id"] as? Int)
        #expect((created.json["claim"] as? [String: Any])?["state"] as? String == "signed")
        try await Wait.until("the claim paid") {
            _ = try await api.post("/v1/send")
            return try await api.get("/v1/claims/\(id)").json["state"] as? String == "paid"
        }
        #expect(try gateway.store.counts().invoices == 1)

        // Removing the CPS closes the session; removing the Vitale forgets the card.
        readers.remove(from: "R 00 01")
        try await Wait.until("the session closed") { try await api.get("/v1/session").json["open"] as? Bool == false }
        readers.remove(from: "R 00 00")
        try await Wait.until("the card forgotten") { try await api.get("/v1/card").json["state"] as? String == "empty" }
        try await running.stop()
        await gateway.stop()
    }

    /// Once the CPS reports its PIN blocked, further submissions answer 423 without a VERIFY to the card; a new
    /// card is asked again (issue 13, defect 5).
    @Test func aBlockedCPSIsNeverSentAnotherPIN() async throws {
        let readers = InProcessReaders(readers: ["R 00 00", "R 00 01"])
        let daemon = try Daemon(configuration: try configuration(gatewayURL: nil, token: nil), logger: quietLogger, cards: (readers, readers.events))
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        readers.insert(try Fixture.image("cps-gp-secteur1"), in: "R 00 01")
        try await Wait.until("the CPS read") { try await api.get("/v1/cps").json["state"] as? String == "present" }
        var statuses: [Int] = []
        for _ in 0..<3 { statuses.append(try await api.post("/v1/cps/pin", json: ["pin": "0000"]).status) }
        #expect(statuses == [403, 403, 423], "\(statuses)")
        let card = try #require(readers.card(in: "R 00 01"))
        let commands = card.commandCount
        for _ in 0..<5 {
            #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 423)
        }
        #expect(card.commandCount == commands, "the blocked card was sent \(card.commandCount - commands) more APDUs")
        // Another card is a new read: its PIN is asked and verified.
        readers.remove(from: "R 00 01")
        try await Wait.until("the CPS gone") { try await api.get("/v1/cps").json["state"] as? String != "present" }
        readers.insert(try Fixture.image("cps-gp-secteur1"), in: "R 00 01")
        try await Wait.until("the new CPS read") { try await api.get("/v1/cps").json["state"] as? String == "present" }
        #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
        try await running.stop()
    }

    @Test func pcscdLostAndReaderUnpluggedCloseTheSessionThenRecover() async throws {
        let readers = InProcessReaders(readers: ["R 00 00", "R 00 01"])
        let daemon = try Daemon(configuration: try configuration(gatewayURL: nil, token: nil), logger: quietLogger, cards: (readers, readers.events))
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        readers.insert(try Fixture.image("family"), in: "R 00 00")
        readers.insert(try Fixture.image("cps-gp-secteur1"), in: "R 00 01")
        try await Wait.until("the CPS read") { try await api.get("/v1/cps").json["pin"] as? String == "required" }
        #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
        try await Wait.until("the card read") { try await api.get("/v1/card?wait=1000").json["state"] as? String == "present" }

        // pcscd goes away: cards forgotten, session closed; it comes back: cards read again, PIN asked again.
        readers.send(.serviceLost("SCARD_E_NO_SERVICE"))
        try await Wait.until("everything forgotten") {
            let s = try await api.get("/v1/status").json
            return s["vitale"] as? String == "no_reader" && s["cps"] as? String == "no_reader" && s["session"] == nil
        }
        readers.send(.serviceRestored)
        readers.send(.readerAdded("R 00 00"))
        readers.send(.readerAdded("R 00 01"))
        readers.reappear(in: "R 00 00")
        readers.reappear(in: "R 00 01")
        try await Wait.until("cards read again") {
            let card = try await api.get("/v1/card").json["state"] as? String
            let pin = try await api.get("/v1/cps").json["pin"] as? String
            return card == "present" && pin == "required"
        }
        #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)

        // The reader is unplugged and plugged back.
        readers.send(.readerRemoved("R 00 01"))
        readers.send(.readerRemoved("R 00 00"))
        try await Wait.until("the reader gone") {
            let s = try await api.get("/v1/status").json
            return s["vitale"] as? String == "no_reader" && s["session"] == nil
        }
        readers.send(.readerAdded("R 00 00"))
        readers.reappear(in: "R 00 00")
        try await Wait.until("the card read again") { try await api.get("/v1/card").json["state"] as? String == "present" }
        try await running.stop()
    }
}
