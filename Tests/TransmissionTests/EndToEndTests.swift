import Crypto
import Foundation
import Gateway
import GatewayAPI
import PCSC
import TestSupport
import Testing
import Transmission

/// A practice set up on disk for `fse-send` and `insurer-gateway`: CPS key (software signer), practitioner
/// file, gateway registry and token, outbox.
struct Practice {
    let folder: TemporaryFolder
    let practitioner = TestPractitioner("101234567")

    /// A practice whose key is a software key, or the CPS of a card image (its billing number and key registered).
    init(cardImage: URL? = nil) throws {
        folder = try TemporaryFolder()
        _ = FileManager.default.createFile(atPath: folder.path("cps-key.pem"), contents: Data(practitioner.key.pemRepresentation.utf8), attributes: [.posixPermissions: 0o600])
        try #"{"billingNumber":"101234567","conventionCode":1,"specialty":1}"#.write(toFile: folder.path("practitioner.json"), atomically: true, encoding: .utf8)
        var registration = practitioner.registration
        if let cardImage {
            struct Image: Decodable {
                struct CPS: Decodable {
                    var signingKey: String
                    var situations: [Situation]
                }
                struct Situation: Decodable { var billingNumber: String; var billingKey: String }
                var cps: CPS
            }
            let image = try JSONDecoder().decode(Image.self, from: Data(contentsOf: cardImage))
            let scalar = stride(from: 0, to: image.cps.signingKey.count, by: 2).map { i -> UInt8 in
                let start = image.cps.signingKey.index(image.cps.signingKey.startIndex, offsetBy: i)
                return UInt8(image.cps.signingKey[start..<image.cps.signingKey.index(start, offsetBy: 2)], radix: 16)!
            }
            let key = try P256.Signing.PrivateKey(rawRepresentation: scalar)
            registration.billingNumber = image.cps.situations[0].billingNumber + image.cps.situations[0].billingKey
            registration.publicKey = Array(key.publicKey.x963Representation)
        }
        try PractitionerRegistry([registration]).write(to: URL(fileURLWithPath: folder.path("registry.json")))
        _ = FileManager.default.createFile(atPath: folder.path("token"), contents: Data(practitioner.token.utf8), attributes: [.posixPermissions: 0o600])
    }

    var outboxPath: String { folder.path("outbox.sqlite") }

    func startGateway(port: Int = 0, flags: [String] = [], name: String = "gateway") async throws -> GatewayProcess {
        try await GatewayProcess.start(folder: folder, registry: folder.path("registry.json"), database: folder.path("gateway.sqlite"), port: port, flags: flags, name: name)
    }

    /// `fse-send` with the practice's options.
    func fseSend(_ command: String, _ arguments: [String], gateway: String, name: String, extra: [String] = []) throws -> ChildProcess {
        try ChildProcess("fse-send", [command] + arguments + [
            "--outbox", outboxPath, "--gateway", gateway, "--token-file", folder.path("token"),
        ] + (command == "returns" ? [] : ["--key", folder.path("cps-key.pem"), "--practitioner", folder.path("practitioner.json"),
                                           "--tariffs", RepositoryPaths.fixtures.appendingPathComponent("tariffs").path]) + extra,
                         folder: folder, name: name)
    }

    /// Writes a CSV of `count` valid claims (G with the médecin traitant, 30 €, 19 € AMO).
    func writeClaims(_ count: Int, organisms: [String] = ["01 751 0001"]) throws -> String {
        var text = "reference,care_date,nir,nir_key,birth_date,amo,parcours,acts,total_cents,amo_cents\n"
        for i in 0..<count {
            text += "R\(i),2026-11-20,1850578006084,91,1985-05-12,\(organisms[i % organisms.count]),T,G,3000,1900\n"
        }
        let path = folder.path("claims-\(count).csv")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func outbox() throws -> Outbox { try Outbox(path: outboxPath, logger: quietLogger) }
}

@Suite("fse-send and insurer-gateway end to end", .serialized)
struct EndToEndTests {
    @Test func submitFixturesThenReturns() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway()
        let files = ["day.csv", "day.jsonl"].map { RepositoryPaths.fixtures.appendingPathComponent("claims/\($0)").path }
        let submit = try practice.fseSend("submit", files, gateway: gateway.baseURL, name: "submit")
        let status = try await submit.wait()
        #expect(status == 0, "stdout: \(submit.stdout)\nstderr: \(submit.stderr)")
        #expect(submit.stdout.contains("12 claims read from 2 files"))
        let counts = try gateway.counts()
        #expect(counts.invoices == 12 && counts.distinctInvoices == 12)
        let summary = try await practice.outbox().summary()
        #expect(summary.count(.paid) + summary.count(.rejected) == 12, "\(summary)")
        // G with the médecin traitant: 19.00 € paid.
        let first = try #require(try await practice.outbox().claims().first)
        #expect(first.state == .paid && first.paidCents == 1900)
        let returns = try practice.fseSend("returns", [], gateway: gateway.baseURL, name: "returns")
        #expect(try await returns.wait() == 0)
        #expect(returns.stdout.contains("paid: \(summary.count(.paid)) FSE"))
        #expect(!submit.stdout.contains("1850578006084") && !submit.stderr.contains("1850578006084"))
        try await gateway.stop()
    }

    /// A token, key or PIN file that other users may read is refused, naming the file and its mode; nothing is
    /// stored or sent.
    @Test func secretFilesReadableByOthersAreRefused() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway()
        let claims = try practice.writeClaims(1)
        chmod(practice.folder.path("token"), 0o644)
        let token = try practice.fseSend("submit", [claims], gateway: gateway.baseURL, name: "token-644")
        #expect(try await token.wait() == 64, "\(token.stderr)")
        #expect(token.stderr.contains(practice.folder.path("token")) && token.stderr.contains("mode 644"), "\(token.stderr)")
        chmod(practice.folder.path("token"), 0o600)
        chmod(practice.folder.path("cps-key.pem"), 0o640)
        let key = try practice.fseSend("submit", [claims], gateway: gateway.baseURL, name: "key-640")
        #expect(try await key.wait() == 69, "\(key.stderr)")
        #expect(key.stderr.contains("--key") && key.stderr.contains("mode 640"), "\(key.stderr)")
        chmod(practice.folder.path("cps-key.pem"), 0o600)
        _ = FileManager.default.createFile(atPath: practice.folder.path("pin"), contents: Data("1234\n".utf8), attributes: [.posixPermissions: 0o644])
        let pin = try ChildProcess("fse-send", ["submit", claims, "--reader", "No Such Reader", "--pin-file", practice.folder.path("pin"),
                                                "--outbox", practice.outboxPath, "--gateway", gateway.baseURL, "--token-file", practice.folder.path("token")],
                                   folder: practice.folder, name: "pin-644")
        #expect(try await pin.wait() == 69, "\(pin.stderr)")
        #expect(pin.stderr.contains("--pin-file") && pin.stderr.contains("mode 644"), "\(pin.stderr)")
        #expect(try gateway.counts().invoices == 0)
        #expect(try await practice.outbox().summary().totalClaims == 0)
        try await gateway.stop()
    }

    /// Returns that were not ready when `submit` ended are reconciled by `resume` (issue 13, defect 4): after it,
    /// `status` shows the final states of an uninterrupted run.
    @Test func resumeReconcilesReturnsThatCameLater() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway(flags: ["--processing-delay", "1"])
        let submit = try practice.fseSend("submit", [try practice.writeClaims(3)], gateway: gateway.baseURL, name: "submit")
        #expect(try await submit.wait() == 0, "\(submit.stderr)")
        #expect(try await practice.outbox().summary().count(.acknowledged) == 3)
        // The gateway makes the returns visible after its processing delay.
        let client = GatewayClient(baseURL: gateway.baseURL, token: practice.practitioner.token)
        try await Wait.until("the returns to be visible") { try await client.returns(after: 0).returns.count == 3 }
        let resume = try practice.fseSend("resume", [], gateway: gateway.baseURL, name: "resume")
        #expect(try await resume.wait() == 0, "\(resume.stderr)")
        #expect(resume.stdout.contains("returns: 3 paid"), "\(resume.stdout)")
        let summary = try await practice.outbox().summary()
        #expect(summary.count(.paid) == 3 && summary.count(.acknowledged) == 0, "\(summary)")
        try await gateway.stop()
    }

    /// A NIR or a name typed into another column is refused naming file, line and column, never repeated in clear
    /// (issue 13, defect 2).
    @Test func misplacedPersonalDataIsNeverEchoed() async throws {
        let practice = try Practice()
        let path = practice.folder.path("misplaced.csv")
        try """
            reference,care_date,nir,nir_key,birth_date,amo,parcours,acts,total_cents,amo_cents
            R1,2026-11-20,1850578006084,91,1985-05-12,1850578006084,T,G,3000,1900
            R2,2026-11-20,1850578006084,91,1985-05-12,01 751 0001,MARTIN,G,3000,1900
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let run = try practice.fseSend("submit", [path], gateway: "http://127.0.0.1:9", name: "misplaced")
        #expect(try await run.wait() == 65, "\(run.stderr)")
        #expect(run.stderr.contains("misplaced.csv:2: amo") && run.stderr.contains("misplaced.csv:3: parcours"), "\(run.stderr)")
        #expect(!run.stderr.contains("1850578006084") && !run.stderr.contains("MARTIN"), "\(run.stderr)")
        #expect(!run.stdout.contains("1850578006084"))
        // A file without its header line: the first claim is read as the header (found by FuzzClaimFile).
        let headless = practice.folder.path("headless.csv")
        try "R1,2026-11-20,1850578006084,91,1985-05-12,01 751 0001,MARTIN,G,3000,1900\n".write(toFile: headless, atomically: true, encoding: .utf8)
        let second = try practice.fseSend("submit", [headless], gateway: "http://127.0.0.1:9", name: "headless")
        #expect(try await second.wait() == 65, "\(second.stderr)")
        #expect(second.stderr.contains("headless.csv:1: header: unknown columns"), "\(second.stderr)")
        #expect(!second.stderr.contains("1850578006084") && !second.stderr.contains("MARTIN"), "\(second.stderr)")
    }

    /// Claims that cannot be true are refused with file, line and field, and nothing is sent (issue 13, defect 3):
    /// a birth after the care date, an age over 130, a reference longer than the format allows.
    @Test func impossibleClaimsAreRefusedNamingTheField() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway()
        let path = practice.folder.path("impossible.csv")
        let longReference = String(repeating: "R", count: 40)
        try """
            reference,care_date,nir,nir_key,birth_date,amo,parcours,acts,total_cents,amo_cents
            R1,2026-11-20,1850578006084,91,2026-11-21,01 751 0001,T,G,3000,1900
            R2,2026-11-20,1850578006084,91,1880-05-12,01 751 0001,T,G,3000,1900
            \(longReference),2026-11-20,1850578006084,91,1985-05-12,01 751 0001,T,G,3000,1900
            R4,2026-11-20,1850578006084,91,1985-02-30,01 751 0001,T,G,3000,1900
            R5,2026-11-20,1850578006084,91,1985-05-12,01 751 0001,T,G;;G,6000,3800
            R6,2026-11-20,1850578006084,91,1985-05-12,01 751 0001,T,G,+3000,1900
            R7,2026-11-20,1850578006084,91,1985-19-32,01 751 0001,T,G,3000,1900
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let jsonPath = practice.folder.path("twice.jsonl")
        try #"{"reference":"J1","care_date":"2026-11-20","care_date":"2026-11-21","nir":"1850578006084","nir_key":"91","birth_date":"1985-05-12","amo":"01 751 0001","acts":"G"}"#
            .write(toFile: jsonPath, atomically: true, encoding: .utf8)
        let twice = try practice.fseSend("submit", [jsonPath], gateway: gateway.baseURL, name: "twice")
        #expect(try await twice.wait() == 65, "\(twice.stderr)")
        #expect(twice.stderr.contains("twice.jsonl:1: care_date: given more than once"), "\(twice.stderr)")
        let run = try practice.fseSend("submit", [path], gateway: gateway.baseURL, name: "impossible")
        #expect(try await run.wait() == 65, "\(run.stderr)")
        #expect(run.stderr.contains("impossible.csv:2: birth_date: after the care date"), "\(run.stderr)")
        #expect(run.stderr.contains("impossible.csv:3: birth_date: the beneficiary would be 146 years old"), "\(run.stderr)")
        #expect(run.stderr.contains("impossible.csv:4: reference: 40 characters, longer than the 32 allowed"), "\(run.stderr)")
        #expect(run.stderr.contains("impossible.csv:5: birth_date: day 30 of month 2 does not exist"), "\(run.stderr)")
        #expect(run.stderr.contains("impossible.csv:6: acts: act 2 is empty"), "\(run.stderr)")
        #expect(run.stderr.contains("impossible.csv:7: total_cents:"), "\(run.stderr)")
        // A lunar date (month 19-25, day 32) is a real person's and is kept.
        #expect(!run.stderr.contains("impossible.csv:8"), "\(run.stderr)")
        #expect(!run.stderr.contains("1985-02-30"), "\(run.stderr)")
        #expect(try gateway.counts().invoices == 0)
        #expect(try await practice.outbox().summary().totalClaims == 0)
        try await gateway.stop()
    }

    @Test func dryRunWritesLotFilesAndSendsNothing() async throws {
        let practice = try Practice()
        let lots = practice.folder.path("lots")
        let run = try practice.fseSend("submit", [try practice.writeClaims(5, organisms: ["01 751 0001", "01 131 0003"]), "--dry-run", "--lot-dir", lots],
                                       gateway: "http://127.0.0.1:9", name: "dry")
        #expect(try await run.wait() == 0, "\(run.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: lots).sorted()
        #expect(files == ["lot-000000001.bin", "lot-000000002.bin"])
        #expect(try await practice.outbox().summary().totalClaims == 0)
        // Nothing holding the FSEs is left behind (issue 13, defect 7): no scratch outbox in $TMPDIR or beside the outbox.
        let tmp = practice.folder.path("tmp")
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
        let again = try ChildProcess("fse-send", ["submit", try practice.writeClaims(2), "--dry-run", "--lot-dir", practice.folder.path("lots-2"),
                                                  "--outbox", practice.outboxPath, "--gateway", "http://127.0.0.1:9",
                                                  "--key", practice.folder.path("cps-key.pem"), "--practitioner", practice.folder.path("practitioner.json"),
                                                  "--tariffs", RepositoryPaths.fixtures.appendingPathComponent("tariffs").path],
                                     folder: practice.folder, name: "dry-tmpdir", environment: ["TMPDIR": tmp])
        #expect(try await again.wait() == 0, "\(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: tmp).isEmpty)
        let beside = try FileManager.default.contentsOfDirectory(atPath: practice.folder.url.path)
        #expect(!beside.contains { $0.hasPrefix(".fse-send-dry-run") || $0.hasPrefix("fse-send-") }, "\(beside)")
    }

    /// Every file of the bad corpus is refused with its reason and nothing reaches the gateway or the outbox.
    @Test func badClaimFilesAreRefusedAndNothingIsSent() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway()
        let expectations: [(String, String)] = [
            ("wrong-columns.csv", "unknown column 'patient_name'"),
            ("latin1.csv", "latin1.csv:2: not valid UTF-8"),
            ("decimal-amounts.csv", "decimal-amounts.csv:2: total_cents: '30.00' is not whole cents"),
            ("decimal-amounts.jsonl", "total_cents: '30.5' is not whole cents"),
            ("unknown-act.csv", "unknown-act.csv:2"),
            ("huge-line.csv", "huge-line.csv:2: line of"),
            ("empty.csv", "empty file"),
            ("header-only.csv", "no claims"),
            ("field-count.csv", "field-count.csv:2: 7 fields"),
            ("broken.jsonl", "broken.jsonl:2: not a JSON object"),
            ("nir-key.csv", "nir-key.csv:2: nir_key"),
            ("future-date.csv", "future-date.csv:2"),
            ("wrong-total.csv", "wrong-total.csv:2: total_cents: 2500 differs"),
        ]
        for (file, message) in expectations {
            let path = RepositoryPaths.fixtures.appendingPathComponent("claims/bad/\(file)").path
            let run = try practice.fseSend("submit", [path], gateway: gateway.baseURL, name: file)
            let status = try await run.wait()
            #expect(status == 65, "\(file): exit \(status), stderr: \(run.stderr)")
            #expect(run.stderr.contains(message), "\(file): expected '\(message)' in: \(run.stderr)")
            #expect(run.stderr.contains("nothing was sent"), "\(file)")
            #expect(!run.stderr.contains("1850578006084"), "\(file) echoes a NIR")
        }
        #expect(try gateway.counts() == .init(acceptedLots: 0, refusedLots: 0, invoices: 0, distinctInvoices: 0, paid: 0, paidCents: 0))
        #expect(try await practice.outbox().summary().totalClaims == 0)
        try await gateway.stop()
    }

    @Test func skipInvalidSendsTheGoodLines() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway()
        let path = RepositoryPaths.fixtures.appendingPathComponent("claims/bad/latin1.csv").path
        let run = try practice.fseSend("submit", [path, "--skip-invalid"], gateway: gateway.baseURL, name: "skip")
        #expect(try await run.wait() == 0, "\(run.stderr)")
        #expect(run.stderr.contains("latin1.csv:2"))
        #expect(try gateway.counts().invoices == 1)
        try await gateway.stop()
    }

    /// Through pcscd and the emulated CPS (`vitale-card` in a leased test reader): the card signs every FSE and
    /// lot, the gateway verifies them with the card's registered key.
    @Test func throughPcscdWithTheEmulatedCPS() async throws {
        try PCSCDaemon.ensureRunning()
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let image = RepositoryPaths.fixtures.appendingPathComponent("cards/cps-gp-secteur1.json")
        let practice = try Practice(cardImage: image)
        let reader = lease.readerName(slot: 0)
        let context = try await PCSCContext()
        try await context.waitForReader(reader)
        let card = try ChildProcess("vitale-card", [image.path, "--port", String(lease.slot0Port), "--log-level", "warning"], folder: practice.folder, name: "cps")
        try await context.waitForCard(in: reader)
        _ = FileManager.default.createFile(atPath: practice.folder.path("pin"), contents: Data("1234\n".utf8), attributes: [.posixPermissions: 0o600])
        let gateway = try await practice.startGateway()
        let run = try ChildProcess("fse-send", [
            "submit", RepositoryPaths.fixtures.appendingPathComponent("claims/day.csv").path,
            "--reader", reader, "--pin-file", practice.folder.path("pin"), "--outbox", practice.outboxPath,
            "--gateway", gateway.baseURL, "--token-file", practice.folder.path("token"),
            "--tariffs", RepositoryPaths.fixtures.appendingPathComponent("tariffs").path,
        ], folder: practice.folder, name: "card-submit")
        #expect(try await run.wait() == 0, "\(run.stdout)\n\(run.stderr)")
        let counts = try gateway.counts()
        #expect(counts.acceptedLots >= 1 && counts.invoices == 8 && counts.distinctInvoices == 8)
        let outbox = try practice.outbox()
        #expect(try await outbox.practitioners().map(\.description) == ["751000126"])
        #expect(try await outbox.summary().count(.paid) == 8)
        card.kill(SIGKILL)
        _ = try await card.wait(timeout: .seconds(20))
        try await context.waitForCard(in: reader, present: false)
        await context.release()
        try await gateway.stop()
    }

    /// fse-send is SIGKILLed in the middle of sending, then resumed: every claim reaches the gateway once.
    @Test func killedMidSendThenResumed() async throws {
        let practice = try Practice()
        let gateway = try await practice.startGateway(flags: ["--latency-ms", "150"])
        let claims = try practice.writeClaims(40)
        let run = try practice.fseSend("submit", [claims, "--max-fses-per-lot", "2"], gateway: gateway.baseURL, name: "killed")
        try await Wait.until("a few lots accepted", timeout: .seconds(60)) { try gateway.counts().acceptedLots >= 3 }
        run.kill(SIGKILL)
        _ = try await run.wait()
        #expect(try gateway.counts().acceptedLots < 20)
        let resume = try practice.fseSend("resume", [], gateway: gateway.baseURL, name: "resume")
        #expect(try await resume.wait() == 0, "\(resume.stdout)\n\(resume.stderr)")
        let counts = try gateway.counts()
        #expect(counts.acceptedLots == 20 && counts.invoices == 40 && counts.distinctInvoices == 40 && counts.refusedLots == 0)
        let summary = try await practice.outbox().summary()
        #expect(summary.count(.paid) == 40, "\(summary)")
        #expect(summary.lots[.acknowledged] == 20)
        try await gateway.stop()
    }

    /// The gateway crashes in the middle of a write and is restarted while fse-send keeps retrying.
    @Test func gatewayCrashesMidWriteAndRestarts() async throws {
        let practice = try Practice()
        let first = try await practice.startGateway(flags: ["--crash-during-write", "3"], name: "gateway-1")
        let port = first.port
        let claims = try practice.writeClaims(12)
        let run = try practice.fseSend("submit", [claims, "--max-fses-per-lot", "2", "--attempts", "100", "--deadline", "90"], gateway: first.baseURL, name: "crash")
        let status = try await first.child.wait(timeout: .seconds(60))
        #expect(status != 0)  // killed itself mid-write
        #expect(try first.counts().acceptedLots == 2)
        let second = try await practice.startGateway(port: port, name: "gateway-2")
        #expect(try await run.wait() == 0, "\(run.stdout)\n\(run.stderr)")
        let counts = try second.counts()
        #expect(counts.acceptedLots == 6 && counts.invoices == 12 && counts.distinctInvoices == 12)
        #expect(try await practice.outbox().summary().count(.paid) == 12)
        try await second.stop()
    }

    /// The gateway is down when fse-send starts; `resume` finishes once it is up.
    @Test func gatewayDownAtStartThenUp() async throws {
        let practice = try Practice()
        let probe = try await practice.startGateway(name: "probe")
        let port = probe.port
        try await probe.stop()
        let claims = try practice.writeClaims(6)
        let run = try practice.fseSend("submit", [claims, "--max-fses-per-lot", "3", "--attempts", "2", "--deadline", "2"], gateway: "http://127.0.0.1:\(port)", name: "down")
        #expect(try await run.wait() == 75, "\(run.stderr)")
        #expect(run.stderr.contains("fse-send resume"))
        let gateway = try await practice.startGateway(port: port, flags: ["--unavailable-first", "3"])
        let resume = try practice.fseSend("resume", [], gateway: gateway.baseURL, name: "up")
        #expect(try await resume.wait() == 0, "\(resume.stderr)")
        #expect(try gateway.counts().invoices == 6)
        #expect(try await practice.outbox().summary().count(.paid) == 6)
        try await gateway.stop()
    }
}
