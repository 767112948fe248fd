import Foundation
import Synchronization

/// A thread of its own that runs blocking pcsc-lite calls one after the other, so they never occupy Swift's
/// cooperative thread pool. Jobs run in submission order; the thread ends after ``stop()`` once its queue is
/// empty.
final class ContextThread: @unchecked Sendable {
    // All mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false
    private var thread: Thread?

    init(name: String) {
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Runs `job` on this thread and blocks the caller until it has run, at most `timeout` seconds; runs it inline
    /// when called from this thread. For deinitializers, which cannot await: a context or card dropped just before
    /// the process exits must be released before libpcsclite's own destructors run, or the release races them.
    func runAndWait(timeout: TimeInterval = 3, _ job: @escaping @Sendable () -> Void) {
        if Thread.current == thread {
            job()
            return
        }
        let done = DispatchSemaphore(value: 0)
        submit {
            job()
            done.signal()
        }
        _ = done.wait(timeout: .now() + timeout)
    }

    /// Queues `job`; it runs on this thread.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on this thread and returns its result, or its error, to the awaiting task. `E` is
    /// ``PCSCError`` for pcsc-lite calls, `Never` for jobs that cannot fail, `any Error` for conversations.
    ///
    /// `body` is released on this thread before the awaiting task resumes: what it captured (a card, its context)
    /// is never dropped here after the caller went on, where its release could race the process's exit (the
    /// caller may be a command returning its exit status: libpcsclite's destructors would run meanwhile).
    func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let held = HeldJob(body)
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            submit {
                let result = held.runOnce()
                continuation.resume(returning: result)
            }
        }
        return try result.get()
    }

    /// Lets the thread end once the queued jobs have run.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty, !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

/// A job's body, run once and released as soon as it has run.
private final class HeldJob<T: Sendable, E: Error>: Sendable {
    private let body: Mutex<(@Sendable () throws(E) -> T)?>

    init(_ body: @escaping @Sendable () throws(E) -> T) { self.body = Mutex(body) }

    /// Runs the body and releases it (and what it captured) before returning its result.
    func runOnce() -> Result<T, E> {
        guard let job = body.withLock({ stored in
            defer { stored = nil }
            return stored
        }) else { preconditionFailure("a context thread job ran twice") }
        return Result(catching: job)
    }
}
