import Daemon
import Foundation
import Secrets
import Testing
import TestSupport

/// `vitaled` as a program with foreign cards in both slots (issue 13, defect 6): Debian's `vicc`, a generic ISO 7816
/// card, in a leased test reader behind the real pcscd, first with its own ATR, then behind a relay presenting a
/// carte Vitale 2 ATR in the Vitale slot and a CPS ATR in the CPS slot. The daemon must say `foreign` for both
/// slots, with the reason, refuse the PIN and claims plainly, and keep running.
@Suite("vitaled process with foreign cards (vicc)")
struct ForeignCardDaemonTests {
    static let vitale2ATR: [UInt8] = [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00]
    static let cps3ATR: [UInt8] = [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00]

    @Test("both slots report the foreign card as foreign, from its ATR and from its answers to SELECT", .timeLimit(.minutes(2)))
    func foreignCardsInBothSlots() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let folder = try TemporaryFolder(prefix: "cards-foreign")
        let socket = folder.path("api.sock")
        let config: [String: Any] = [
            "listen": "unix:\(socket)", "apiTokenFile": folder.path("api-token"), "stateDirectory": folder.path("state"),
            "vitaleReader": lease.readerName(slot: 0), "cpsReader": lease.readerName(slot: 1), "tariffsDirectory": tariffsDirectory,
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
        try await Wait.until("the readers seen") { try await api.get("/v1/status").json["cps"] as? String == "empty" }

        // vicc with its own ATR in both slots.
        var vitaleSlot = try await ViccCard(in: lease, slot: 0)
        var cpsSlot = try await ViccCard(in: lease, slot: 1)
        let atr = vitaleSlot.atr.map { String(format: "%02X", $0) }.joined(separator: " ")
        var (card, cps) = try await settled(api, vitaled)
        #expect(card["state"] as? String == "foreign", "\(card)")
        #expect(card["error"] as? String == "not a carte Vitale (ATR \(atr))", "\(card)")
        #expect(cps["state"] as? String == "foreign", "\(cps)")
        #expect(cps["error"] as? String == "not a CPS (ATR \(atr))", "\(cps)")
        let status = try await api.get("/v1/status").json
        #expect(status["vitale"] as? String == "foreign" && status["cps"] as? String == "foreign", "\(status)")
        try await expectRefusals(api, vitaleReason: "not a carte Vitale (ATR \(atr))", cpsReason: "not a CPS (ATR \(atr))")

        // vicc behind relays presenting a carte Vitale 2 ATR and a CPS ATR: found out by its answers to SELECT.
        try await vitaleSlot.stop()
        try await cpsSlot.stop()
        try await Wait.until("both slots empty") {
            let status = try await api.get("/v1/status").json
            return status["vitale"] as? String == "empty" && status["cps"] as? String == "empty"
        }
        vitaleSlot = try await ViccCard(in: lease, slot: 0, presenting: Self.vitale2ATR)
        cpsSlot = try await ViccCard(in: lease, slot: 1, presenting: Self.cps3ATR)
        (card, cps) = try await settled(api, vitaled)
        #expect(card["state"] as? String == "foreign", "\(card)")
        let vitaleReason = card["error"] as? String ?? ""
        #expect(vitaleReason.hasPrefix("not a carte Vitale (ATR 3B 75 13 00 00 44 09 EA 90 00): "), "\(card)")
        #expect(vitaleReason.contains("no VITALE application (SELECT VITALE application answered 6A82"), "\(card)")
        #expect(cps["state"] as? String == "foreign", "\(cps)")
        let cpsReason = "not a CPS (ATR 3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00): "
            + "no CPS application (SELECT CPS application answered 6A82, file or application not found)"
        #expect(cps["error"] as? String == cpsReason, "\(cps)")
        try await expectRefusals(api, vitaleReason: vitaleReason, cpsReason: cpsReason)
        // The PIN never reached the foreign card: it got the SELECT of the CPS application only.
        #expect(cpsSlot.relayedInstructions == [0xA4], "\(cpsSlot.relayedInstructions ?? [])")

        try await vitaleSlot.stop()
        try await cpsSlot.stop()
        kill(vitaled.pid, SIGTERM)
        #expect(try await vitaled.wait(timeout: .seconds(30)) == 0, "\(vitaled.stderr.suffix(3000))")
    }

    /// `GET /v1/card` and `GET /v1/cps` once both slots are read (neither empty nor being read).
    func settled(_ api: APIClient, _ vitaled: ChildProcess) async throws -> ([String: Any], [String: Any]) {
        let pending: Set<String> = ["empty", "reading", "no_reader"]
        var card: [String: Any] = [:]
        var cps: [String: Any] = [:]
        try await Wait.until("both foreign cards read by vitaled") {
            guard vitaled.isRunning else { throw Wait.Timeout(description: "vitaled exited: \(vitaled.stderr.suffix(3000))") }
            card = try await api.get("/v1/card").json
            cps = try await api.get("/v1/cps").json
            return !pending.contains(card["state"] as? String ?? "empty") && !pending.contains(cps["state"] as? String ?? "empty")
        }
        return (card, cps)
    }

    /// The PIN and a claim for a beneficiary of the card are refused, saying why.
    func expectRefusals(_ api: APIClient, vitaleReason: String, cpsReason: String) async throws {
        let pin = try await api.post("/v1/cps/pin", json: ["pin": "1234"])
        #expect(pin.status == 409 && pin.json["error"] as? String == "not_a_cps", "\(pin.text)")
        #expect(pin.json["message"] as? String == "the card in the CPS reader is \(cpsReason): no PIN is sent to it", "\(pin.text)")
        let claim = try await api.post("/v1/claims", json: ["reference": "foreign", "beneficiary": 1, "care_date": "2026-11-20", "acts": ["G"]])
        #expect(claim.status == 409 && claim.json["error"] as? String == "no_card", "\(claim.text)")
        #expect((claim.json["message"] as? String)?.contains("is \(vitaleReason)") == true, "\(claim.text)")
    }
}
