import Foundation
import Gateway
import GatewayAPI
import TestSupport

/// An `insurer-gateway` running as a child process.
final class GatewayProcess: @unchecked Sendable {
    let child: ChildProcess
    let port: Int
    let databasePath: String

    /// Starts `insurer-gateway serve` and waits until it answers its health check.
    static func start(folder: TemporaryFolder, registry: String, database: String, port: Int = 0, flags: [String] = [], name: String = "gateway") async throws -> GatewayProcess {
        let portFile = folder.path("\(name).port")
        try? FileManager.default.removeItem(atPath: portFile)
        let child = try ChildProcess("insurer-gateway", [
            "serve", "--database", database, "--registry", registry, "--port", String(port), "--port-file", portFile,
            "--tariffs", RepositoryPaths.fixtures.appendingPathComponent("tariffs").path, "--log-level", "warning",
        ] + flags, folder: folder, name: name)
        var bound = 0
        try await Wait.until("the gateway's port file", timeout: .seconds(60)) {
            if !child.isRunning { throw Wait.Timeout(description: "insurer-gateway exited: \(child.stderr)") }
            bound = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            return bound > 0
        }
        return GatewayProcess(child: child, port: bound, databasePath: database)
    }

    init(child: ChildProcess, port: Int, databasePath: String) {
        self.child = child
        self.port = port
        self.databasePath = databasePath
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Counts read from the gateway's database (another connection, WAL).
    func counts() throws -> GatewayStore.Counts {
        try GatewayStore(path: databasePath).counts()
    }

    func stop() async throws {
        child.kill(SIGTERM)
        _ = try await child.wait(timeout: .seconds(30))
    }
}
