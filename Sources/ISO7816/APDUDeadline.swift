import Synchronization

/// The errors of a card decoder that exchanges APDUs (the Vitale reader, the CPS session): the cases every
/// exchange can end in, whatever the card. Enum cases with these names and labels satisfy the requirements, so
/// ``DeadlineChannel/send(_:step:options:)`` reports transport failures in the decoder's own error type.
public protocol CardExchangeError: Error {
    /// The card left the reader (or lost power) during `step`.
    static func cardRemoved(step: String) -> Self
    /// The card did not answer `step`: reported by the transport (`timeout` nil) or not answered within the
    /// deadline of ``withAPDUDeadline(_:on:as:_:)``.
    static func cardMute(step: String, timeout: Duration?) -> Self
    /// The reader went away during `step`.
    static func readerUnavailable(step: String, detail: String) -> Self
    /// The service carrying the exchange (pcscd) is not running or was lost during `step`.
    static func serviceUnavailable(step: String, detail: String) -> Self
    /// Any other transport failure during `step`.
    static func transport(step: String, detail: String) -> Self
    /// The card was reset or power-cycled under the connection during `step` (``CardTransportFailure/cardReset``):
    /// the connection must be opened again.
    static func cardReset(step: String) -> Self
}

/// The default deadline of one exchange with a card (the Vitale reader's and the CPS session's).
public let defaultAPDUTimeout: Duration = .seconds(5)

/// A card did not answer one exchange within its deadline: a mute card, behind a reader (or pcscd's virtual
/// driver) that would wait for it forever.
public struct APDUTimeout: CardTransportError, Hashable, Sendable, CustomStringConvertible {
    /// The exchange that got no answer (`READ BINARY CPS holder file (EF C001, SFI 1)`).
    public var step: String
    /// The deadline it missed.
    public var timeout: Duration

    public init(step: String, timeout: Duration) {
        self.step = step
        self.timeout = timeout
    }

    public var transportFailure: CardTransportFailure { .cardMute }
    public var description: String { "no answer to \(step) within \(Self.describe(timeout))" }

    /// `5 s`, `500 ms`: a deadline as messages print it.
    public static func describe(_ timeout: Duration) -> String {
        let (seconds, attoseconds) = timeout.components
        if attoseconds == 0 { return "\(seconds) s" }
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }
}

/// The channel handed to the body of ``withAPDUDeadline(_:on:as:_:)``: each ``send(_:step:options:)`` is one
/// exchange that must be answered within the deadline, and its failures come out as `Failure`.
public struct DeadlineChannel<Failure: CardExchangeError>: Sendable {
    /// The channel to the card.
    public let base: any CardChannel
    let watch: ExchangeWatch?

    /// Sends `command` (the T=0 loops included: one exchange, one deadline) and returns the whole response.
    /// Transport errors become `Failure` naming `step`; a missed deadline ends the enclosing
    /// ``withAPDUDeadline(_:on:as:_:)`` with `Failure.cardMute(step:timeout:)`.
    public func send(_ command: CommandAPDU, step: String, options: SendOptions = .t0) async throws(Failure) -> ResponseAPDU {
        let ticket = watch?.arm(step)
        defer { if let ticket { watch?.disarm(ticket) } }
        do {
            return try await base.send(command, options: options)
        } catch {
            throw mapExchangeError(error, step: step)
        }
    }
}

extension DeadlineChannel {
    /// Runs a whole ``CardConversation`` (``CardChannel/converse(_:watch:)``: in one go where the transport
    /// allows), each of its exchanges under the deadline. Its own errors of type `Failure` come out unchanged,
    /// transport failures as `Failure` naming the step.
    public func converse<C: CardConversation>(_ conversation: C) async throws(Failure) -> C.Output {
        do {
            return try await base.converse(conversation, watch: watch)
        } catch let error as CardConversationError {
            throw mapExchangeError(error.underlying, step: error.step)
        } catch {
            throw mapExchangeError(error, step: "the exchange with the card")
        }
    }
}

/// Maps an error out of an exchange (or out of the whole deadline-bound operation) to the decoder's error type.
func mapExchangeError<Failure: CardExchangeError>(_ error: any Error, step: String) -> Failure {
    switch error {
    case let e as Failure: return e
    case let t as APDUTimeout: return .cardMute(step: t.step, timeout: t.timeout)
    case let e as any CardTransportError:
        switch e.transportFailure {
        case .cardRemoved: return .cardRemoved(step: step)
        case .cardMute: return .cardMute(step: step, timeout: nil)
        case .readerUnavailable: return .readerUnavailable(step: step, detail: "\(e)")
        case .serviceUnavailable: return .serviceUnavailable(step: step, detail: "\(e)")
        case .cardReset: return .cardReset(step: step)
        case .other: return .transport(step: step, detail: "\(e)")
        }
    default: return .transport(step: step, detail: "\(error)")
    }
}

/// Runs `body`, a run of exchanges with the card behind `channel`, under a per-exchange deadline: every
/// ``DeadlineChannel/send(_:step:options:)`` must be answered within `timeout`, or the whole call gives up
/// with `Failure.cardMute(step:timeout:)` naming the exchange, even when the transport is stuck in a blocking
/// call that ignores cancellation (a mute card behind a reader that waits forever). The stuck work is
/// cancelled and left behind; its result, if it ever comes, is dropped. `timeout` nil: no deadline, `body`
/// runs in the caller's task.
///
/// Cost: one work task and one watchdog task per call, whatever the number of exchanges; an exchange only
/// records its start under a lock, and the watchdog wakes at most once per `timeout` while exchanges answer.
public func withAPDUDeadline<T: Sendable, Failure: CardExchangeError>(
    _ timeout: Duration?, on channel: any CardChannel, as failure: Failure.Type = Failure.self,
    _ body: @escaping @Sendable (DeadlineChannel<Failure>) async throws(Failure) -> T
) async throws(Failure) -> T {
    guard let timeout else { return try await body(DeadlineChannel(base: channel, watch: nil)) }
    let watch = ExchangeWatch(timeout: timeout)
    let exchanges = DeadlineChannel<Failure>(base: channel, watch: watch)
    let gate = Gate<T>()
    do {
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                gate.arm(continuation)
                let work = Task {
                    let result: Result<T, any Error>
                    do { result = .success(try await body(exchanges)) } catch { result = .failure(error) }
                    gate.finish(with: result)
                }
                gate.setWork(work)
                gate.setTimer(Task {
                    guard let step = try? await watch.expired() else { return }
                    gate.expire(with: APDUTimeout(step: step, timeout: timeout))
                })
            }
        } onCancel: {
            gate.cancelWork()
        }
    } catch {
        throw mapExchangeError(error, step: "the exchange with the card")
    }
}

/// The exchange in progress under a deadline, and the wait for it to overrun. Transports that run a whole
/// ``CardConversation`` on a thread of their own arm it around each exchange they make there.
public final class ExchangeWatch: Sendable {
    private struct Exchange {
        var ticket: UInt64
        var step: String
        var deadline: ContinuousClock.Instant
    }
    private struct State {
        var next: UInt64 = 0
        var current: Exchange?
    }
    let timeout: Duration
    private let state = Mutex(State())

    init(timeout: Duration) { self.timeout = timeout }

    /// Records the start of an exchange; returns its ticket for ``disarm(_:)``.
    public func arm(_ step: String) -> UInt64 {
        let deadline = ContinuousClock.now + timeout
        return state.withLock { s in
            s.next &+= 1
            s.current = Exchange(ticket: s.next, step: step, deadline: deadline)
            return s.next
        }
    }

    /// Records the end of the exchange with `ticket`.
    public func disarm(_ ticket: UInt64) {
        state.withLock { s in if s.current?.ticket == ticket { s.current = nil } }
    }

    /// Returns the step of the first exchange that overruns its deadline; throws when cancelled.
    ///
    /// An exchange armed at `t` has its deadline at `t + timeout`, so sleeping `timeout` while none is in
    /// progress never misses one; while one is, sleep until its deadline and look again.
    func expired() async throws -> String {
        var wake = ContinuousClock.now + timeout
        while true {
            try await Task.sleep(until: wake, clock: .continuous)
            let now = ContinuousClock.now
            let current = state.withLock { $0.current }
            if let current {
                if current.deadline <= now { return current.step }
                wake = current.deadline
            } else {
                wake = now + timeout
            }
        }
    }
}

/// Resumes the caller once, with the work's result or the watchdog's timeout, whichever comes first, and
/// cancels the other side.
private final class Gate<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
        var finished = false
        var cancelled = false
    }
    private let state = Mutex(State())

    func arm(_ c: CheckedContinuation<T, any Error>) { state.withLock { $0.continuation = c } }

    func setWork(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { s -> Bool in
            s.work = task
            return s.cancelled
        }
        if cancelNow { task.cancel() }
    }

    func setTimer(_ task: Task<Void, Never>) {
        let cancelNow = state.withLock { s -> Bool in
            if s.finished { return true }
            s.timer = task
            return false
        }
        if cancelNow { task.cancel() }
    }

    /// The work is over: stop the watchdog and hand over the result (unless the watchdog already gave up).
    func finish(with result: Result<T, any Error>) {
        let (continuation, timer) = state.withLock { s in
            s.finished = true
            defer { s.continuation = nil; s.timer = nil; s.work = nil }
            return (s.continuation, s.timer)
        }
        timer?.cancel()
        continuation?.resume(with: result)
    }

    /// The watchdog saw an exchange overrun: give up on the work.
    func expire(with error: APDUTimeout) {
        let (continuation, work) = state.withLock { s in
            s.finished = true
            defer { s.continuation = nil; s.timer = nil; s.work = nil }
            return (s.continuation, s.work)
        }
        guard let continuation else { return }
        work?.cancel()
        continuation.resume(throwing: error)
    }

    /// The caller was cancelled: cancel the work (it ends the call when it notices).
    func cancelWork() {
        let work = state.withLock { s -> Task<Void, Never>? in
            s.cancelled = true
            return s.work
        }
        work?.cancel()
    }
}
