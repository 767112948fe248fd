import Foundation

/// Runs a program to completion on a thread of its own and collects its output.
enum Subprocess {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return await withCheckedContinuation { continuation in
            Thread {
                let errorData = ThreadSafeBox<Data>()
                let reader = Thread { errorData.value = err.fileHandleForReading.readDataToEndOfFile() }
                reader.start()
                let outputData = out.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                let stderrData = errorData.wait()
                continuation.resume(returning: Result(
                    status: process.terminationStatus,
                    stdout: String(decoding: outputData, as: UTF8.self),
                    stderr: String(decoding: stderrData, as: UTF8.self)))
            }.start()
        }
    }
}

/// A value set once by one thread and awaited by another.
final class ThreadSafeBox<T>: @unchecked Sendable {
    private let condition = NSCondition()
    private var stored: T?

    var value: T? {
        get { condition.lock(); defer { condition.unlock() }; return stored }
        set { condition.lock(); stored = newValue; condition.broadcast(); condition.unlock() }
    }

    func wait() -> T {
        condition.lock()
        defer { condition.unlock() }
        while stored == nil { condition.wait() }
        return stored!
    }
}

/// Retries `attempt` until it returns a value or `timeout` passes (for states other processes reach).
func eventually<T>(timeout: Duration, _ attempt: () async throws -> T?) async throws -> T? {
    let clock = ContinuousClock()
    let end = clock.now + timeout
    while true {
        if let value = try await attempt() { return value }
        if clock.now >= end { return nil }
        try await Task.sleep(for: .milliseconds(100))
    }
}
