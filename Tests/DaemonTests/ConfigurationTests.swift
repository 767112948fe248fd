import Secrets
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
