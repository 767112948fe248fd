import Synchronization

/// Runs `body`, or gives up after `timeout` and returns nil, even when `body` is stuck in a blocking call that
/// ignores cancellation (a card that stopped answering behind a reader that waits forever). The stuck work is
/// cancelled and left behind; its result, if it ever comes, is dropped. A finished `body` cancels the timer.
func withTimeout<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T? {
    let gate = Gate<T?>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T?, any Error>) in
        gate.arm(continuation)
        let work = Task {
            let result: Result<T?, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            gate.cancelTimer()
            gate.resume(with: result)
        }
        gate.setTimer(Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            if gate.resume(with: .success(nil)) { work.cancel() }
        })
    }
}

/// Resumes a continuation once, whichever side comes first, and holds the timer to cancel.
private final class Gate<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var timer: Task<Void, Never>?
        var finished = false
    }
    private let state = Mutex(State())

    func arm(_ c: CheckedContinuation<T, any Error>) { state.withLock { $0.continuation = c } }

    func setTimer(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { s -> Bool in
            if s.finished { return true }
            s.timer = task
            return false
        }
        if cancelNow { task.cancel() }
    }

    func cancelTimer() {
        let timer = state.withLock { s -> Task<Void, Never>? in
            s.finished = true
            defer { s.timer = nil }
            return s.timer
        }
        timer?.cancel()
    }

    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let taken = state.withLock { s -> CheckedContinuation<T, any Error>? in
            defer { s.continuation = nil }
            return s.continuation
        }
        taken?.resume(with: result)
        return taken != nil
    }
}
