import Secrets
import Crypto
import Daemon
import Foundation
import Gateway
import Testing
import TestSupport
import Transmission

/// `vitaled` as a process: SIGTERM finishes what is in flight and exits 0; SIGKILL loses nothing.
@Suite("vitaled process: SIGTERM and SIGKILL", .serialized)
struct LifecycleTests {
    let folder: TemporaryFolder
    let alice = TestPractitioner("101234567")

    init() throws { folder = try TemporaryFolder() }

    var socket: String { folder.path("api.sock") }

    /// Writes the configuration: software signer, Unix socket, readers that do not exist (no cards here).
    func writeConfiguration(gatewayURL: String) throws -> String {
        try writeSecret(alice.key.pemRepresentation, to: folder.path("key.pem"))
        try #"{"billingNumber": "101234567"}"#.write(toFile: folder.path("practitioner.json"), atomically: true, encoding: .utf8)
        try writeSecret(alice.token, to: folder.path("gateway-token"))
        let config: [String: Any] = [
            "listen": "unix:\(socket)", "apiTokenFile": folder.path("api-token"), "stateDirectory": folder.path("state"),
            "vitaleReader": "No Such Reader 00 00", "cpsReader": "No Such Reader 00 01", "tariffsDirectory": tariffsDirectory,
            "gateway": ["url": gatewayURL, "tokenFile": folder.path("gateway-token")],
            "softwareSigner": ["privateKeyFile": folder.path("key.pem"), "practitionerFile": folder.path("practitioner.json")],
            "sendInterval": 0.2, "sendAttemptsPerRound": 2, "sendRoundDeadline": 5, "logLevel": "info",
        ]
        let path = folder.path("vitaled.json")
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path))
        return path
    }

    func launch(_ config: String, name: String) async throws -> (Process, APIClient) {
        let process = Process()
        process.executableURL = Executables.url("vitaled")
        process.arguments = ["--config", config]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        _ = FileManager.default.createFile(atPath: folder.path("\(name).log"), contents: nil)
        process.standardError = FileHandle(forWritingAtPath: folder.path("\(name).log"))
        try process.run()
        try await Wait.until("vitaled listening", timeout: .seconds(30)) {
            guard FileManager.default.fileExists(atPath: folder.path("api-token")) else { return false }
            return (try? await APIClient(.unix(path: socket), token: nil).get("/v1/health").status) == 200
        }
        return (process, APIClient(.unix(path: socket), token: try SecretFile.read(folder.path("api-token"))))
    }

    func waitForExit(_ process: Process) async throws -> Int32 {
        try await Wait.until("vitaled to exit", timeout: .seconds(30)) { !process.isRunning }
        return process.terminationStatus
    }

    func claim(_ reference: String) -> [String: Any] {
        ["reference": reference, "care_date": "2026-11-20", "parcours": "T", "acts": ["G"],
         "patient": ["nir": "1850578006084", "nir_key": "91", "birth_date": "1985-05-12", "amo": "01 751 0001"]]
    }

    @Test func sigtermFinishesTheSendInFlightAndExitsCleanly() async throws {
        var faults = FaultInjection()
        faults.latency = .milliseconds(800)
        let gateway = try await startGateway(folder: folder, registry: [alice.registration], faults: faults)
        let (process, api) = try await launch(try writeConfiguration(gatewayURL: gateway.baseURL), name: "term")
        #expect(try await api.post("/v1/claims", json: claim("t1")).status == 201)
        // The background round is now sending the lot (the gateway answers after 800 ms): SIGTERM meanwhile.
        try await Wait.until("the lot sent") { (try await api.get("/v1/claims?state=sent").json["claims"] as? [[String: Any]])?.isEmpty == false }
        kill(process.processIdentifier, SIGTERM)
        #expect(try await waitForExit(process) == 0)
        let log = (try? String(contentsOfFile: folder.path("term.log"), encoding: .utf8)) ?? ""
        #expect(log.contains("stopped cleanly"), "\(log.suffix(2000))")
        #expect(!log.contains("1850578006084"))
        // The ARL came back before the exit: the claim is acknowledged in the outbox.
        let outbox = try Outbox(path: folder.path("state/outbox.sqlite"), logger: quietLogger)
        #expect(try await outbox.summary().count(.acknowledged) + outbox.summary().count(.paid) == 1)
        #expect(try gateway.store.counts().invoices == 1)
        await gateway.stop()
    }

    @Test func sigkillWhileSendingLosesAndDuplicatesNothing() async throws {
        var faults = FaultInjection()
        faults.latency = .milliseconds(300)
        let gateway = try await startGateway(folder: folder, registry: [alice.registration], faults: faults)
        let config = try writeConfiguration(gatewayURL: gateway.baseURL)
        let (first, api) = try await launch(config, name: "kill1")
        for i in 0..<6 { #expect(try await api.post("/v1/claims", json: claim("k\(i)")).status == 201) }
        try await Wait.until("a lot in flight") { (try await api.get("/v1/claims?state=sent").json["claims"] as? [[String: Any]])?.isEmpty == false }
        kill(first.processIdentifier, SIGKILL)
        _ = try await waitForExit(first)

        let (second, api2) = try await launch(config, name: "kill2")
        // The client did not get every answer: it retries with the same references, nothing is created twice.
        for i in 0..<6 { #expect(try await api2.post("/v1/claims", json: claim("k\(i)")).status == 200) }
        try await Wait.until("all 6 claims paid", timeout: .seconds(60)) {
            let paid = try await api2.get("/v1/claims?state=paid").json["claims"] as? [[String: Any]]
            return paid?.count == 6
        }
        #expect(try gateway.store.counts().invoices == 6)
        kill(second.processIdentifier, SIGTERM)
        #expect(try await waitForExit(second) == 0)
        await gateway.stop()
    }

    @Test func gatewayUnreachableThenBack() async throws {
        // Find a free port, leave it closed for a while, then start the gateway on it.
        let probe = try await startGateway(folder: folder, registry: [alice.registration])
        let port = probe.port
        await probe.stop()
        var c = try DaemonConfiguration.forTests(in: folder, gatewayURL: "http://127.0.0.1:\(port)", gatewayToken: alice.token)
        c.sendInterval = 0.1
        c.sendAttemptsPerRound = 1
        let daemon = try Daemon(configuration: c, logger: quietLogger, session: alice.session)
        let running = try await daemon.start()
        let api = APIClient(running.address, token: try SecretFile.read(folder.path("api-token")))
        for i in 0..<4 { #expect(try await api.post("/v1/claims", json: claim("u\(i)")).status == 201) }
        try await Wait.until("several failed rounds") {
            let sender = try await api.get("/v1/status").json["sender"] as? [String: Any]
            return (sender?["rounds"] as? Int ?? 0) >= 5 && (sender?["lastRound"] as? [String: Any])?["error"] != nil
        }
        #expect((try await api.get("/v1/claims?state=sent").json["claims"] as? [[String: Any]])?.isEmpty == false)
        let gateway = try await startGateway(folder: folder, registry: [alice.registration], port: port)
        try await Wait.until("all 4 claims paid", timeout: .seconds(30)) {
            let paid = try await api.get("/v1/claims?state=paid").json["claims"] as? [[String: Any]]
            return paid?.count == 4
        }
        #expect(try gateway.store.counts().invoices == 4)
        try await running.stop()
        await gateway.stop()
    }
}
