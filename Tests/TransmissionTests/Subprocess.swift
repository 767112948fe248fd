import Foundation
import Gateway
import TestSupport

/// The project's executables, as built by `swift build` (next to the test bundle).
enum Executables {
    static var directory: URL {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            RepositoryPaths.root.appendingPathComponent(".build/debug"),
        ]
        for dir in candidates {
            var d = dir
            // The test bundle may be a directory (`….xctest/Contents/MacOS`); climb to the build folder.
            for _ in 0..<4 {
                if FileManager.default.isExecutableFile(atPath: d.appendingPathComponent("fse-send").path) { return d }
                d.deleteLastPathComponent()
            }
        }
        return RepositoryPaths.root.appendingPathComponent(".build/debug")
    }

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
}

/// A child process with its output captured to files.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL
    private let exited = AsyncStream<Int32>.makeStream()
    private var status: Int32?
    private let lock = NSLock()

    init(_ executable: String, _ arguments: [String], folder: TemporaryFolder, name: String, environment: [String: String] = [:]) throws {
        process.executableURL = Executables.url(executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = RepositoryPaths.root
        stdoutURL = folder.url.appendingPathComponent("\(name).out")
        stderrURL = folder.url.appendingPathComponent("\(name).err")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        let continuation = exited.continuation
        process.terminationHandler = { [weak self] p in
            self?.lock.withLock { self?.status = p.terminationStatus }
            continuation.yield(p.terminationStatus)
            continuation.finish()
        }
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }
    var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }
    var isRunning: Bool { lock.withLock { status == nil } }

    /// Waits for the process to exit (with a deadline) and returns its status.
    func wait(timeout: Duration = .seconds(120)) async throws -> Int32 {
        let stream = exited.stream
        return try await withThrowingTaskGroup(of: Int32.self) { group in
            group.addTask {
                for await s in stream { return s }
                return self.lock.withLock { self.status ?? -1 }
            }
            // Fallback when Foundation's termination notification is late or lost: the child is a zombie (or
            // gone) in /proc; reap it ourselves and take its status.
            group.addTask {
                while true {
                    try await Task.sleep(for: .milliseconds(200))
                    if let s = self.lock.withLock({ self.status }) { return s }
                    if let s = Self.reapIfExited(self.pid) { return s }
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw Wait.Timeout(description: "process \(self.process.executableURL?.lastPathComponent ?? "?") still running after \(timeout)")
            }
            let s = try await group.next()!
            group.cancelAll()
            return s
        }
    }

    /// The exit status of `pid` when it has exited but was not reaped yet (a zombie), reaping it; nil while it runs.
    static func reapIfExited(_ pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.first == "Z" else { return nil }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : signal  // as Foundation reports a signal: its number
    }

    func kill(_ signal: Int32 = SIGKILL) {
        if isRunning { Foundation.kill(pid, signal) }
    }

    deinit { if isRunning { Foundation.kill(process.processIdentifier, SIGKILL) } }
}

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
