import Synchronization
import Foundation

/// A test step that did not finish in time.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public var what: String
    public var deadline: Duration
    public var description: String { "\(what) did not finish within \(deadline)" }
}

/// Runs `body` and returns its result, or throws ``DeadlineExceeded`` once `deadline` passes, even when `body`
/// is stuck in a call that ignores cancellation (the stuck task is cancelled and left behind), so a hang becomes
/// a test failure instead of a hung test run.
public func withDeadline<T: Sendable>(
    _ deadline: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let gate = OnceGate<T>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        gate.arm(continuation)
        let work = Task {
            do { gate.resume(with: .success(try await body())) } catch { gate.resume(with: .failure(error)) }
        }
        Task {
            try? await Task.sleep(for: deadline)
            if gate.resume(with: .failure(DeadlineExceeded(what: what, deadline: deadline))) { work.cancel() }
        }
    }
}

/// Resumes a continuation once, whichever side comes first.
private final class OnceGate<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func arm(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let taken: CheckedContinuation<T, any Error>? = continuation.withLock { stored in
            defer { stored = nil }
            return stored
        }
        taken?.resume(with: result)
        return taken != nil
    }
}
