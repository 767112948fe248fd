import Secrets
import Crypto
import Daemon
import Emulator
import Foundation
import Gateway
import Testing
import TestSupport
import VPCD

/// A leased two-slot test reader behind the real pcscd, with virtual card slots (slot 0 Vitale, slot 1 CPS),
/// a real gateway on loopback and a daemon watching the reader.
final class PCSCPractice: Sendable {
    let folder: TemporaryFolder
    let lease: TestReaderLease
    let vitaleSlot: VirtualSlot
    let cpsSlot: VirtualSlot
    let practitioner: TestPractitioner
    let cpsImage: CardImage
    var vitaleReader: String { lease.readerName(slot: 0) }
    var cpsReader: String { lease.readerName(slot: 1) }

    init() async throws {
        folder = try TemporaryFolder()
        lease = try await TestReaders.lease()
        vitaleSlot = VirtualSlot(mode: .connect(port: lease.slot0Port), logger: quietLogger)
        cpsSlot = VirtualSlot(mode: .connect(port: lease.slot1Port), logger: quietLogger)
        try vitaleSlot.start()
        try cpsSlot.start()
        cpsImage = try Fixture.image("cps-gp-secteur1")
        practitioner = TestPractitioner("751000126", key: try P256.Signing.PrivateKey(rawRepresentation: Fixture.cpsKey(cpsImage)))
        // (The lease is handed over once pcscd lists both slots empty: no card of the previous user is seen.)
    }

    func configuration(gatewayURL: String?) throws -> DaemonConfiguration {
        try .forTests(in: folder, vitaleReader: vitaleReader, cpsReader: cpsReader, gatewayURL: gatewayURL, gatewayToken: practitioner.token)
    }

    func close() {
        vitaleSlot.stop()
        cpsSlot.stop()
        lease.release()
    }
}

@Suite("daemon through pcscd and emulated cards", .serialized)
struct ThroughPCSCDTests {
    @Test func insertReadClaimAcknowledgedPaidWithFaults() async throws {
        let practice = try await PCSCPractice()
        defer { practice.close() }
        let gateway = try await startGateway(folder: practice.folder, registry: [practice.practitioner.registration])
        let daemon = try Daemon(configuration: try practice.configuration(gatewayURL: gateway.baseURL), logger: quietLogger)
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(practice.folder.path("api-token")))
        try await Wait.until("the readers seen") { try await api.get("/v1/status").json["vitale"] as? String == "empty" }

        // A Vitale pulled out in the middle of the read: nothing partial is shown, then the card is forgotten.
        practice.vitaleSlot.inject(.removeAfter(apdus: 2))
        practice.vitaleSlot.insert(EmulatedCard(image: try Fixture.image("family")))
        try await Wait.until("the interrupted card forgotten") {
            let card = try await api.get("/v1/card").json
            return card["state"] as? String == "empty" && card["card"] == nil
        }
        practice.vitaleSlot.clearFaults()

        // Inserted again: beneficiaries through the API.
        let start = ContinuousClock.now
        practice.vitaleSlot.insert(EmulatedCard(image: try Fixture.image("family")))
        try await Wait.until("the card read") { try await api.get("/v1/card?wait=2000").json["state"] as? String == "present" }
        let elapsed = ContinuousClock.now - start
        let card = try await api.get("/v1/card/beneficiaries").json
        #expect((card["beneficiaries"] as? [[String: Any]])?.count == 4)
        print("vitaled: card insertion to beneficiaries through the API: \(elapsed) (readMs \(card["readMs"] ?? "-"))")

        // The CPS, its PIN, a claim for the first beneficiary.
        practice.cpsSlot.insert(EmulatedCard(image: practice.cpsImage))
        try await Wait.until("the CPS read") { try await api.get("/v1/cps").json["pin"] as? String == "required" }
        #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
        let first = try await api.post("/v1/claims", json: ["reference": "a", "beneficiary": 1, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]])
        #expect(first.status == 201, "\(first.text)")
        #expect((first.json["claim"] as? [String: Any])?["state"] as? String == "signed")

        // The CPS pulled out in the middle of the signature: the claim is kept (built), signed later.
        practice.cpsSlot.inject(.removeAfter(apdus: 0))
        let second = try await api.post("/v1/claims", json: ["reference": "b", "beneficiary": 2, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]])
        #expect(second.status == 201, "\(second.text)")
        #expect((second.json["claim"] as? [String: Any])?["state"] as? String == "built" && second.json["signaturePending"] != nil)
        try await Wait.until("the session closed") { try await api.get("/v1/session").json["open"] as? Bool == false }
        practice.cpsSlot.clearFaults()
        practice.cpsSlot.insert(EmulatedCard(image: practice.cpsImage))
        try await Wait.until("the CPS read again") { try await api.get("/v1/cps").json["pin"] as? String == "required" }
        #expect(try await api.post("/v1/claims", json: ["reference": "c", "beneficiary": 1, "care_date": "2026-11-20", "acts": ["G"]]).status == 409)
        #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)

        // Sent, acknowledged, paid: the gateway holds exactly the two claims.
        try await Wait.until("both claims acknowledged then paid", timeout: .seconds(30)) {
            _ = try await api.post("/v1/send")
            let paid = try await api.get("/v1/claims?state=paid").json["claims"] as? [[String: Any]]
            return paid?.count == 2
        }
        #expect(try gateway.store.counts().invoices == 2)

        // Removal: the card is forgotten, the session closed.
        practice.vitaleSlot.remove()
        practice.cpsSlot.remove()
        try await Wait.until("card and session forgotten") {
            let status = try await api.get("/v1/status").json
            return status["vitale"] as? String == "empty" && status["session"] == nil
        }
        try await running.stop()
        await gateway.stop()
    }
}
