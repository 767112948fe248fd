import Foundation

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
