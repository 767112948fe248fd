import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program run as a child process by a test: its standard output and error go to files (read them at any
/// time, or line by line with ``nextLine(timeout:)``), its standard input is `/dev/null` or, with
/// `interactive`, a pipe the test writes commands to (``send(_:)``).
///
/// Its exit is seen from Foundation's termination handler or, when that is late or lost, from `/proc` (the
/// child is a zombie): ``wait(timeout:)`` then reaps it itself.
public final class ChildProcess: @unchecked Sendable {
    // `@unchecked Sendable`: `status` and `consumed` are guarded by `lock`; the rest is set once in `init`.
    public let process = Process()
    public let stdoutURL: URL
    public let stderrURL: URL
    private let input: Pipe?
    private let ownsFiles: Bool
    private let exited = AsyncStream<Int32>.makeStream()
    private let lock = NSLock()
    private var status: Int32?
    private var consumed = 0

    /// Starts `executable`. Output files are `<folder>/<name>.out` and `.err` (by default new files under `/tmp`,
    /// removed with the value). The working folder is the repository root.
    public init(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], folder: URL? = nil,
                name: String? = nil, interactive: Bool = false) throws {
        let base = name ?? executable.lastPathComponent
        if let folder {
            stdoutURL = folder.appendingPathComponent("\(base).out")
            stderrURL = folder.appendingPathComponent("\(base).err")
            ownsFiles = false
        } else {
            let unique = "openvitale-child-\(getpid())-\(UUID().uuidString.prefix(8))-\(base)"
            stdoutURL = URL(fileURLWithPath: "/tmp").appendingPathComponent("\(unique).out")
            stderrURL = URL(fileURLWithPath: "/tmp").appendingPathComponent("\(unique).err")
            ownsFiles = true
        }
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = RepositoryPaths.root
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        input = interactive ? Pipe() : nil
        process.standardInput = input ?? FileHandle.nullDevice
        let continuation = exited.continuation
        process.terminationHandler = { [weak self] p in
            self?.lock.withLock { if self?.status == nil { self?.status = p.terminationStatus } }
            continuation.yield(p.terminationStatus)
            continuation.finish()
        }
        try process.run()
    }

    /// Starts the project's program `program` (found by ``Executables/url(_:)``), its output in `folder`.
    public convenience init(_ program: String, _ arguments: [String], folder: TemporaryFolder, name: String,
                            environment: [String: String] = [:], interactive: Bool = false) throws {
        try self.init(Executables.url(program), arguments, environment: environment, folder: folder.url, name: name,
                      interactive: interactive)
    }

    /// Runs `executable` to completion (deadline `timeout`) and returns its status and output.
    public static func run(_ executable: URL, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> Output {
        let child = try ChildProcess(executable, arguments)
        let status = try await child.wait(timeout: timeout)
        return Output(status: status, stdout: child.stdout, stderr: child.stderr)
    }

    /// What a program run to completion did.
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    public var pid: Int32 { process.processIdentifier }
    public var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// False once the child has exited (seen from the termination handler or from `/proc`).
    public var isRunning: Bool { exitStatus == nil }

    /// The exit status (a signal's number when killed by one), nil while it runs.
    public var exitStatus: Int32? {
        lock.withLock {
            if status == nil, let s = Self.reapIfExited(pid) { status = s }
            return status
        }
    }

    /// Writes `line` and a newline to the child's standard input (`interactive` children only).
    public func send(_ line: String) {
        try? input?.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))
    }

    /// The next line of standard output not returned yet, or nil when none comes before `timeout` (or the child
    /// exited without printing one).
    public func nextLine(timeout: Duration = .seconds(10)) async throws -> String? {
        let deadline = ContinuousClock.now + timeout
        while true {
            let data = (try? Data(contentsOf: stdoutURL)) ?? Data()
            let line: String? = lock.withLock {
                guard consumed < data.count, let newline = data[consumed...].firstIndex(of: 0x0A) else { return nil }
                defer { consumed = newline + 1 }
                return String(decoding: data[consumed..<newline], as: UTF8.self)
            }
            if let line { return line }
            if ContinuousClock.now >= deadline || !isRunning { return nil }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Waits for the child to exit (deadline `timeout`) and returns its status.
    public func wait(timeout: Duration = .seconds(120)) async throws -> Int32 {
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
                    if let s = self.exitStatus { return s }
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

    /// Sends `signal` to the child if it still runs.
    public func kill(_ signal: Int32 = SIGKILL) {
        if isRunning { Glibc.kill(pid, signal) }
    }

    deinit {
        if lock.withLock({ status == nil }) { Glibc.kill(process.processIdentifier, SIGKILL) }
        try? input?.fileHandleForWriting.close()
        if ownsFiles {
            try? FileManager.default.removeItem(at: stdoutURL)
            try? FileManager.default.removeItem(at: stderrURL)
        }
    }
}
