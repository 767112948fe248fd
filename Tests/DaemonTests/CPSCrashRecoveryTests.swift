import Crypto
import Daemon
import Foundation
import Secrets
import Testing
import TestSupport

/// `vitaled` SIGKILLed while the CPS is signing (issue 13, defect 8), as programs: `vitale-card` presents the carte
/// Vitale and the CPS in a leased test reader behind the real pcscd, `vitaled` runs on a state folder, a real
/// gateway listens on loopback.
///
/// The CPS is made mute (`fault mute`) so that the signature's APDU is held by the card when `vitaled` is killed:
/// pcscd is then still inside that exchange for the dead program. The restarted `vitaled` opens its connection to
/// the CPS meanwhile (its CPS slot shows `reading`); when the card answers again, pcscd finishes the dead program's
/// exchange, cleans up after it and resets the card under the new connection, whose next APDUs fail
/// (SCARD_E_PROTO_MISMATCH). The daemon must re-establish its connection, ask the PIN again, and sign what waits.
@Suite("vitaled process: SIGKILL during a CPS signature")
struct CPSCrashRecoveryTests {
    /// When the practitioner gives the PIN to the restarted daemon.
    enum PINTiming: String, CustomTestStringConvertible, CaseIterable {
        /// As soon as the daemon has read the CPS, before pcscd resets the card: the VERIFY succeeds, the
        /// signatures after the reset fail (the daemon must close the session and ask the PIN again).
        case beforeTheReset
        /// After pcscd reset the card under the daemon's connection: the VERIFY itself fails.
        case afterTheReset

        var testDescription: String { rawValue }
    }

    @Test("after a SIGKILL mid-signature the restarted vitaled gets the PIN again and signs the claims that wait",
          .timeLimit(.minutes(4)), arguments: PINTiming.allCases)
    func restartedAfterSIGKILLDuringSignatureSignsWhatWaits(_ timing: PINTiming) async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let folder = try TemporaryFolder(prefix: "cards-crash")
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

        // First run: the cards read, the PIN given, one claim signed.
        var daemon = try await startVitaled(folder: folder, socket: socket, name: "vitaled-1")
        var logs: [ChildProcess] = [daemon]
        defer { for d in logs { d.kill(SIGKILL) } }
        let api = APIClient(.unix(path: socket), token: try SecretFile.read(folder.path("api-token")))
        try await Wait.until("the card read") { try await api.get("/v1/card?wait=2000").json["state"] as? String == "present" }
        try await Wait.until("the CPS read") { try await api.get("/v1/cps").json["pin"] as? String == "required" }
        #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
        let before = try await api.post("/v1/claims", json: claim("before", beneficiary: 1))
        #expect(before.status == 201 && (before.json["claim"] as? [String: Any])?["state"] as? String == "signed", "\(before.text)")

        // The crash, repeated until pcscd resets the card under the restarted vitaled. It does when it cleans up after
        // the dead program before counting the new connection (pcsc-lite 1.9.9 then lets its power-off grace period
        // run and powers the card down within two status polls, 2 × 400 ms): most crashes. When it counts the new
        // connection first, it keeps the card powered and there is nothing to recover from: crash again.
        var crashes = 0
        var references: [String] = []
        while true {
            crashes += 1
            try #require(crashes <= 10, "pcscd never reset the CPS under the restarted vitaled in 10 crashes")
            // The CPS stops answering; three claims come in: stored built, the first one's signature held by the card.
            try await command(cpsCard, "fault mute")
            let batch = (1...3).map { "waiting-\(crashes)-\($0)" }
            references += batch
            let inFlight = batch.enumerated().map { n, reference in
                Task { try? await api.post("/v1/claims", json: claim(reference, beneficiary: n + 1)) }
            }
            let expected = 1 + references.count
            try await Wait.until("three claims stored and a signature's APDU held by the CPS", timeout: .seconds(20)) {
                let all = try await api.get("/v1/claims?limit=1000").json["claims"] as? [[String: Any]]
                guard all?.count == expected else { return false }
                return try await status(cpsCard).contains("holding=true")
            }
            daemon.kill(SIGKILL)
            #expect(try await daemon.wait(timeout: .seconds(10)) == SIGKILL)
            for task in inFlight { _ = await task.value }

            // Restarted on the same state folder while pcscd is still inside the dead program's exchange.
            daemon = try await startVitaled(folder: folder, socket: socket, name: "vitaled-\(crashes + 1)")
            logs.append(daemon)
            try await Wait.until("the restarted vitaled connecting to the CPS", timeout: .seconds(20)) {
                try await api.get("/v1/cps").json["state"] as? String == "reading"
            }
            // The card answers again: pcscd finishes the dead program's exchange, the restarted vitaled reads the CPS
            // on the connection it opened meanwhile, and pcscd cleans up after the dead program.
            let resetsBefore = try await resets(cpsCard)
            try await command(cpsCard, "clear")
            try await Wait.until("the CPS read by the restarted vitaled") { try await api.get("/v1/cps").json["state"] as? String != "reading" }
            if timing == .beforeTheReset {
                let pin = try await api.post("/v1/cps/pin", json: ["pin": "1234"])
                #expect(pin.status == 200, "\(pin.text)")
            }
            let reset: Bool
            do {
                try await Wait.until("pcscd resetting the CPS after the dead vitaled", timeout: .seconds(3)) {
                    try await resets(cpsCard) > resetsBefore
                }
                reset = true
            } catch is Wait.Timeout {
                reset = false
            }
            if reset { break }
            if timing == .afterTheReset {
                #expect(try await api.post("/v1/cps/pin", json: ["pin": "1234"]).status == 200)
            }
        }

        // The practitioner gives the PIN whenever the daemon asks for it; the claims that waited and a new one are
        // signed, sent and paid.
        let total = 1 + references.count + 1
        var newClaim: APIClient.Answer?
        do {
            try await Wait.until("the \(references.count) waiting claims and a new one signed, sent and paid", timeout: .seconds(60)) {
                guard daemon.isRunning else { throw Wait.Timeout(description: "vitaled exited: \(daemon.stderr.suffix(3000))") }
                let cps = try await api.get("/v1/cps").json
                if try await api.get("/v1/session").json["open"] as? Bool != true, cps["pin"] as? String == "required" {
                    let pin = try await api.post("/v1/cps/pin", json: ["pin": "1234"])
                    guard pin.status == 200 else {
                        throw Wait.Timeout(description: "the PIN was refused after the restart: \(pin.status) \(pin.text)")
                    }
                }
                if newClaim == nil, try await api.get("/v1/session").json["open"] as? Bool == true {
                    newClaim = try await api.post("/v1/claims", json: claim("after", beneficiary: 4))
                }
                _ = try await api.post("/v1/send")
                return (try await api.get("/v1/claims?state=paid").json["claims"] as? [[String: Any]])?.count == total
            }
        } catch {
            let status = try? await api.get("/v1/status")
            Issue.record("not recovered after the crash: outbox \((status?.json["outbox"]).map { "\($0)" } ?? "-"), CPS \(status?.json["cps"] ?? "-"), session \(status?.json["session"] ?? "none"), last round \((status?.json["sender"] as? [String: Any])?["lastRound"] ?? "-")")
            throw error
        }
        #expect(newClaim?.status == 201, "\(newClaim?.text ?? "-")")
        // The client retries the requests whose answers it lost: each claim exists once.
        for (n, reference) in references.enumerated() {
            let retry = try await api.post("/v1/claims", json: claim(reference, beneficiary: n % 3 + 1))
            #expect(retry.status == 200 && retry.json["created"] as? Bool == false, "\(retry.text)")
        }
        #expect(try gateway.store.counts().invoices == total)
        print("CPSCrashRecoveryTests (\(timing)): \(crashes) crash(es) until pcscd reset the CPS under the restarted vitaled; \(total) claims paid")

        kill(daemon.pid, SIGTERM)
        #expect(try await daemon.wait(timeout: .seconds(30)) == 0, "\(daemon.stderr.suffix(3000))")
        let log = logs.map(\.stderr).joined()
        #expect(!log.contains("178057505612343"), "a NIR in clear in the log")
        await gateway.stop()
    }

    func claim(_ reference: String, beneficiary: Int) -> [String: Any] {
        ["reference": reference, "beneficiary": beneficiary, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"]]
    }

    /// Starts `vitaled` on the test's configuration and waits until its API answers.
    func startVitaled(folder: TemporaryFolder, socket: String, name: String) async throws -> ChildProcess {
        let vitaled = try ChildProcess("vitaled", ["--config", folder.path("vitaled.json")], folder: folder, name: name)
        try await Wait.until("\(name) listening", timeout: .seconds(30)) {
            guard vitaled.isRunning else { throw Wait.Timeout(description: "\(name) exited: \(vitaled.stderr)") }
            return (try? await APIClient(.unix(path: socket), token: nil).get("/v1/health").status) == 200
        }
        return vitaled
    }

    /// Sends a control command to a `vitale-card` program and expects `ok`.
    func command(_ card: ChildProcess, _ line: String) async throws {
        card.send(line)
        let answer = try await card.nextLine()
        #expect(answer == "ok", "vitale-card \(line): \(answer ?? "no answer") \(card.stderr)")
    }

    /// The power controls (power off, power on, reset) the card got from the driver since it was inserted.
    func resets(_ card: ChildProcess) async throws -> Int {
        let line = try await status(card)
        guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("resets=") }), let n = Int(field.dropFirst(7)) else {
            throw Wait.Timeout(description: "vitale-card status without resets=: \(line)")
        }
        return n
    }

    /// The `status` line of a `vitale-card` program.
    func status(_ card: ChildProcess) async throws -> String {
        card.send("status")
        return try await card.nextLine() ?? ""
    }
}
