import Logging

/// Waiting for a condition another task or process brings about: polled with a deadline, never a bare sleep.
public enum Wait {
    /// The condition did not hold before the deadline.
    public struct Timeout: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Polls `condition` every 10 ms until it is true, or throws ``Timeout`` once `timeout` has passed.
    public static func until(_ what: String, timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Timeout(description: "timed out after \(timeout) waiting for \(what)")
    }
}

/// A logger that shows only critical messages (the code under test logs a lot at info level).
public var quietLogger: Logger {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}
