import Secrets
import Claims
import Daemon
import Foundation
import Testing
import TestSupport

@Suite("configuration and tokens")
struct ConfigurationTests {
    @Test func parsesEveryKey() throws {
        let json = """
            {"listen": "unix:/run/vitaled/api.sock", "apiTokenFile": "/etc/vitaled/token", "stateDirectory": "/var/lib/x",
             "vitaleReader": "R 00 00", "cpsReader": "R 00 01", "gateway": {"url": "http://127.0.0.1:8480", "tokenFile": "/etc/vitaled/gw"},
             "sendInterval": 30, "lotGatherDelay": 1.5, "maxFSEsPerLot": 100, "sendAttemptsPerRound": 2, "sendRoundDeadline": 10, "cpsSituation": 2,
             "allowNIRReveal": true, "shutdownGracePeriod": 5, "logLevel": "debug", "logFormat": "text"}
            """
        let c = try DaemonConfiguration.parse(Data(json.utf8), name: "test.json")
        #expect(c.listen == .unix(path: "/run/vitaled/api.sock"))
        #expect(c.gateway == .init(url: "http://127.0.0.1:8480", tokenFile: "/etc/vitaled/gw"))
        #expect(c.cpsSituation == 2 && c.allowNIRReveal && c.logLevel == .debug && c.logFormat == .text && c.maxFSEsPerLot == 100)
        #expect(c.outboxPath == "/var/lib/x/outbox.sqlite")
        #expect(c.sendInterval == 30 && c.lotGatherDelay == 1.5)
    }

    @Test(arguments: [
        (#"{"listne": "127.0.0.1:1"}"#, "unknown key 'listne'"),
        (#"{"listen": "0.0.0.0:8490"}"#, "only on loopback"),
        (#"{"listen": "unix:relative.sock"}"#, "must be absolute"),
        (#"{"listen": "127.0.0.1:99999"}"#, "port must be 0-65535"),
        (#"{"sendInterval": "often"}"#, "'sendInterval' must be a number"),
        (#"{"maxFSEsPerLot": 1.5}"#, "'maxFSEsPerLot' must be a whole number"),
        (#"{"gateway": {"url": "ftp://x"}}"#, "'gateway.url' must be an http"),
        (#"{"gateway": {"url": "http://x", "token": "y"}}"#, "unknown key 'gateway.token'"),
        (#"{"logLevel": "loud"}"#, "'logLevel' must be one of"),
        (#"{"softwareSigner": {"privateKeyFile": "k", "practitionerFile": "p", "pin": "1"}}"#, "unknown key 'softwareSigner.pin'"),
        (#"{"softwareSigner": {"privateKeyFile": "k"}}"#, "needs both 'privateKeyFile' and 'practitionerFile'"),
        (#"{"gateway": 3}"#, "'gateway' must be an object"),
        (#"{"cpsSituation": 9}"#, "'cpsSituation' must be a number from 1 to 8"),
        (#"{"cpsSituation": true}"#, "'cpsSituation' must be a number"),
        (#"{"sendInterval": 0}"#, "'sendInterval' must be a number from 0.05"),
        (#"{"sendAttemptsPerRound": 0}"#, "'sendAttemptsPerRound' must be a number from 1 to 100"),
        (#"{"allowNIRReveal": 1}"#, "'allowNIRReveal' must be true or false"),
        (#"{"apiTokenFile": ""}"#, "'apiTokenFile' must be a non-empty string"),
        (#"{"maxFSEsPerLot": 0}"#, "'maxFSEsPerLot' must be a number from 1"),
        (#"{"maxFSEsPerLot": 1001}"#, "'maxFSEsPerLot' must be at most 1000, the most FSEs the gateway accepts in one lot"),
        (#"{"maxFSEsPerLot": 100000}"#, "'maxFSEsPerLot' must be at most 1000"),
        (#"[1]"#, "must be a JSON object"),
        (#"{"#, "not valid JSON"),
    ])
    func refusesBadConfigurationsNamingTheField(json: String, expected: String) {
        #expect {
            _ = try DaemonConfiguration.parse(Data(json.utf8), name: "bad.json")
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".hasPrefix("bad.json: ")
        }
    }

    /// JSON 0 and 1 are numbers, not booleans: they used to be refused on Linux, where JSONSerialization reads
    /// them as `false` and `true`.
    @Test(arguments: [
        ("cpsSituation", 1), ("sendInterval", 1), ("lotGatherDelay", 0), ("maxFSEsPerLot", 1), ("sendAttemptsPerRound", 1),
        ("shutdownGracePeriod", 0),
    ])
    func zeroAndOneAreNumbers(key: String, value: Int) throws {
        let c = try DaemonConfiguration.parse(Data(#"{"\#(key)": \#(value)}"#.utf8), name: "t.json")
        let read: Double? = switch key {
        case "cpsSituation": c.cpsSituation.map(Double.init)
        case "sendInterval": c.sendInterval
        case "lotGatherDelay": c.lotGatherDelay
        case "maxFSEsPerLot": Double(c.maxFSEsPerLot)
        case "sendAttemptsPerRound": Double(c.sendAttemptsPerRound)
        case "shutdownGracePeriod": c.shutdownGracePeriod
        default: nil
        }
        #expect(read == Double(value))
    }

    @Test func theLotLimitIsTheGateways() throws {
        let limit = LotLimits.standard.maximumFSEs
        #expect(DaemonConfiguration.maximumFSEsPerLot == limit)
        #expect(try DaemonConfiguration.parse(Data(#"{"maxFSEsPerLot": \#(limit)}"#.utf8), name: "t.json").maxFSEsPerLot == limit)
        #expect(throws: DaemonConfiguration.Problem.self) {
            try DaemonConfiguration.parse(Data(#"{"maxFSEsPerLot": \#(limit + 1)}"#.utf8), name: "t.json")
        }
    }

    /// The real program: a lot limit over the gateway's is a bad configuration (exit 64), named in the message.
    @Test func vitaledRefusesALotLimitOverTheGatewaysAtStart() async throws {
        let folder = try TemporaryFolder()
        let config = folder.path("vitaled.json")
        let json = """
            {"maxFSEsPerLot": 5000, "listen": "unix:\(folder.path("api.sock"))", "apiTokenFile": "\(folder.path("api-token"))",
             "stateDirectory": "\(folder.path("state"))", "tariffsDirectory": "\(tariffsDirectory)"}
            """
        try json.write(toFile: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = Executables.url("vitaled")
        process.arguments = ["--config", config, "--check-config"]
        let errors = Pipe()
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = errors
        try process.run()
        let message = String(decoding: try errors.fileHandleForReading.readToEnd() ?? Data(), as: UTF8.self)
        try await Wait.until("vitaled to exit", timeout: .seconds(30)) { !process.isRunning }
        #expect(process.terminationStatus == 64, "\(message)")
        #expect(message.contains("\(config): 'maxFSEsPerLot' must be at most 1000"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: folder.path("state")))
    }

    @Test func listenAddresses() throws {
        #expect(try ListenAddress(parsing: "localhost:0") == .tcp(host: "127.0.0.1", port: 0))
        #expect(try ListenAddress(parsing: "[::1]:8490") == .tcp(host: "::1", port: 8490))
        #expect(throws: DaemonConfiguration.Problem.self) { try ListenAddress(parsing: "192.168.1.2:8490") }
    }

    @Test func tokenFileIsCreated0600AndRefusedWhenReadableByOthers() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("sub/token")
        let token = try SecretFile.readOrCreate(path)
        #expect(token.count == 64)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try SecretFile.readOrCreate(path) == token)
        chmod(path, 0o644)
        #expect {
            _ = try SecretFile.read(path)
        } throws: { "\($0)".contains("mode 644") && "\($0)".contains("chmod 600") }
        try writeSecret("short", to: folder.path("short"))
        #expect(throws: SecretFile.Problem.self) { try SecretFile.read(folder.path("short")) }
    }
}
