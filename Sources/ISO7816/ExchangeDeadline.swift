import Synchronization

/// The progress of a running conversation, for its deadline: the step in flight and when it began.
public final class ExchangeProgress: Sendable {
    private struct State {
        var step = "starting"
        var began = ContinuousClock.now
    }
    private let state = Mutex(State())

    init() {}

    /// Marks the start of a new exchange: the deadline counts from now.
    public func begin(_ step: String) {
        let now = ContinuousClock.now
        state.withLock {
            $0.step = step
            $0.began = now
        }
    }

    var current: (step: String, began: ContinuousClock.Instant) { state.withLock { ($0.step, $0.began) } }
}

/// Runs `body`, which calls ``ExchangeProgress/begin(_:)`` before each exchange with the card, and gives up with
/// ``CardConversationError`` (``CardConversationError/Kind/timedOut(_:)``) when one exchange lasts longer than
/// `timeout`, even when `body` is stuck in a blocking call that ignores cancellation (a card that stopped answering
/// behind a reader that waits forever). The stuck work is cancelled and left behind; its result, if it ever comes,
/// is dropped. One watchdog serves the whole conversation, however many exchanges it has. A nil `timeout` waits as
/// long as the transport does.
public func withExchangeDeadline<T: Sendable>(
    _ timeout: Duration?, _ body: @escaping @Sendable (ExchangeProgress) async throws -> T
) async throws -> T {
    let progress = ExchangeProgress()
    guard let timeout else { return try await body(progress) }
    let gate = DeadlineGate<T>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        gate.arm(continuation)
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await body(progress)) } catch { result = .failure(error) }
            gate.cancelWatchdog()
            gate.resume(with: result)
        }
        gate.setWatchdog(Task {
            var (step, began) = progress.current
            while true {
                guard (try? await Task.sleep(until: began + timeout, clock: .continuous)) != nil else { return }
                let latest = progress.current
                if latest.began == began {
                    step = latest.step
                    break
                }
                (step, began) = latest
            }
            if gate.resume(with: .failure(CardConversationError(step: step, kind: .timedOut(timeout)))) { work.cancel() }
        })
    }
}

/// Resumes a continuation once, whichever side comes first, and holds the watchdog to cancel.
private final class DeadlineGate<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var watchdog: Task<Void, Never>?
        var finished = false
    }
    private let state = Mutex(State())

    func arm(_ c: CheckedContinuation<T, any Error>) { state.withLock { $0.continuation = c } }

    func setWatchdog(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { s -> Bool in
            if s.finished { return true }
            s.watchdog = task
            return false
        }
        if cancelNow { task.cancel() }
    }

    func cancelWatchdog() {
        let watchdog = state.withLock { s -> Task<Void, Never>? in
            s.finished = true
            defer { s.watchdog = nil }
            return s.watchdog
        }
        watchdog?.cancel()
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
