import Synchronization
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Controls the test machine's pcscd through `Hardware/pcscd-ctl`, the same script the test command uses.
public enum PCSCDaemon {
    public struct ControlError: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var output: String
        public var description: String { "Hardware/pcscd-ctl \(command) exited \(status): \(output)" }
    }

    /// Starts pcscd with the project's readers unless one runs already. Runs `pcscd-ctl start` once per process;
    /// later calls return at once.
    public static func ensureRunning() throws {
        try startedOnce.withLock { started in
            guard !started else { return }
            _ = try run("start")
            started = true
        }
    }

    private static let startedOnce = LockedFlag()

    /// True when the running pcscd was started by `pcscd-ctl` (so tests may restart it).
    public static func isOwned() -> Bool { ((try? run("status")) ?? "").contains("started by pcscd-ctl") }

    /// Whether a test may restart pcscd: started here if needed, it runs and `pcscd-ctl` owns it (a pcscd the
    /// system started is not the tests' to restart). For `.enabled(if:)`.
    public static var canRestart: Bool {
        try? ensureRunning()
        return isOwned()
    }

    /// Stops and starts the pcscd that `pcscd-ctl` started. Throws when another pcscd runs.
    public static func restart() throws { _ = try run("restart") }

    /// Stops the pcscd that `pcscd-ctl` started (without starting it again).
    public static func stop() throws {
        startedOnce.withLock { $0 = false }
        _ = try run("stop")
    }

    /// Starts it again after ``stop()``.
    public static func start() throws { _ = try run("start") }

    /// Runs `Hardware/pcscd-ctl <command>` and returns its output. Spawned with `posix_spawn` and reaped with
    /// `waitpid` (Foundation's `Process.waitUntilExit` was seen to hang when the script leaves pcscd behind).
    @discardableResult
    static func run(_ command: String) throws -> String {
        let script = RepositoryPaths.hardware.appendingPathComponent("pcscd-ctl").path
        let outputPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("openvitale-pcscd-ctl-\(getpid())-\(UUID().uuidString).log").path
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let arguments = [script, command]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, script, &actions, nil, &argv, environ)
        guard spawned == 0 else {
            throw ControlError(command: command, status: -1, output: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        guard exitCode == 0 else {
            throw ControlError(command: command, status: exitCode, output: output)
        }
        return output
    }
}

extension PCSCDaemon {
    /// Runs `body` (which may restart pcscd) once no other test, in this process or another, holds a test reader,
    /// and keeps new leases waiting until it returns. `body` gets a test reader of its own.
    public static func withExclusiveUse<T>(
        deadline: Duration = .seconds(120), _ body: (TestReaderLease) async throws -> T
    ) async throws -> T {
        try ensureRunning()
        return try await TestReaders.withExclusiveUse(deadline: deadline) {
            let lease = try await TestReaders.lease(deadline: deadline, shareUsersLock: false)
            defer { lease.release() }
            await lease.waitUntilEmpty()
            return try await body(lease)
        }
    }
}

/// A Bool behind a lock.
final class LockedFlag: Sendable {
    private let value = Mutex(false)

    func withLock<T>(_ body: (inout Bool) throws -> T) rethrows -> T {
        try value.withLock { try body(&$0) }
    }
}
