import Synchronization

/// Runs `body`, or gives up after `timeout` and returns nil, even when `body` is stuck in a blocking call that
/// ignores cancellation (a card that stopped answering behind a reader that waits forever). The stuck work is
/// cancelled and left behind; its result, if it ever comes, is dropped.
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    let gate = Gate<T?>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
        gate.arm(continuation)
        let work = Task {
            do { gate.resume(with: .success(try await body())) } catch { gate.resume(with: .failure(error)) }
        }
        Task {
            try? await Task.sleep(for: timeout)
            if gate.resume(with: .success(nil)) { work.cancel() }
        }
    }
}

/// Resumes a continuation once, whichever side comes first.
private final class Gate<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    func arm(_ c: CheckedContinuation<T, any Error>) { continuation.withLock { $0 = c } }

    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let taken = continuation.withLock { c -> CheckedContinuation<T, any Error>? in
            defer { c = nil }
            return c
        }
        taken?.resume(with: result)
        return taken != nil
    }
}
