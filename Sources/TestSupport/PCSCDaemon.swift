import Foundation

/// Controls the test machine's pcscd through `Hardware/pcscd-ctl`, the same script the test command uses.
public enum PCSCDaemon {
    public struct ControlError: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var output: String
        public var description: String { "Hardware/pcscd-ctl \(command) exited \(status): \(output)" }
    }

    /// Starts pcscd with the project's readers unless one runs already.
    public static func ensureRunning() throws { _ = try run("start") }

    /// True when the running pcscd was started by `pcscd-ctl` (so tests may restart it).
    public static func isOwned() -> Bool { ((try? run("status")) ?? "").contains("started by pcscd-ctl") }

    /// Stops and starts the pcscd that `pcscd-ctl` started. Throws when another pcscd runs.
    public static func restart() throws { _ = try run("restart") }

    /// Stops the pcscd that `pcscd-ctl` started (without starting it again).
    public static func stop() throws { _ = try run("stop") }

    /// Starts it again after ``stop()``.
    public static func start() throws { _ = try run("start") }

    @discardableResult
    static func run(_ command: String) throws -> String {
        let process = Process()
        process.executableURL = RepositoryPaths.hardware.appendingPathComponent("pcscd-ctl")
        process.arguments = [command]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw ControlError(command: command, status: process.terminationStatus, output: output)
        }
        return output
    }
}
