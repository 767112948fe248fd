import Foundation

/// A PC/SC context (`SCARDCONTEXT`): the connection to pcscd through which readers are listed and cards
/// connected.
///
/// Every blocking pcsc-lite call of the context and of the cards connected through it runs on one thread that
/// belongs to the context, never on Swift's cooperative pool; calls are served in order (pcsc-lite serialises
/// the calls of a context anyway). For card I/O that must not wait behind another card, use one context per card.
///
/// When pcscd goes away (`SCARD_E_NO_SERVICE`, `SCARD_E_SERVICE_STOPPED`, or the old context turning invalid
/// after pcscd restarted), the next context call releases the broken context and establishes a new one, retrying
/// with backoff for up to ``recoveryTimeout`` before giving up with the error. Cards connected before the restart
/// stay invalid: connect again.
public final class PCSCContext: @unchecked Sendable {
    // `@unchecked Sendable`: the mutable state below is only touched on `thread` (or in deinit, when no job can
    // still reference the context).
    let thread: ContextThread
    /// The scope the context was established with.
    public let scope: ContextScope
    /// How long a call keeps re-establishing a lost context before it throws.
    public let recoveryTimeout: Duration

    private var handle: SCard.Context?
    private var released = false
    private var generation = 0
    /// The receive buffer of every transmit and control on this context (the calls are serialised).
    var receiveBuffer: [UInt8] = []

    /// Establishes a context with pcscd.
    ///
    /// - Parameters:
    ///   - scope: the context's scope (pcsc-lite treats them alike).
    ///   - recoveryTimeout: how long a call keeps trying to re-establish the context after pcscd went away.
    public init(scope: ContextScope = .system, recoveryTimeout: Duration = .seconds(5)) async throws(PCSCError) {
        self.scope = scope
        self.recoveryTimeout = recoveryTimeout
        self.thread = ContextThread(name: "PCSC context")
        try await thread.run { [self] () throws(PCSCError) in try reestablish(retrying: false) }
    }

    deinit {
        if let handle { thread.runAndWait { SCard.release(handle) } }
        thread.stop()
    }

    /// Releases the context (`SCardReleaseContext`). Later calls throw ``PCSCError/invalidHandle``.
    public func release() async {
        await thread.run { [self] in
            if let handle { SCard.release(handle) }
            handle = nil
            released = true
        }
    }

    /// The names of the readers pcscd knows now; an empty list when there are none.
    public func readers() async throws(PCSCError) -> [String] {
        try await thread.run { [self] () throws(PCSCError) -> [String] in
            try withContext { context throws(PCSCError) in try SCard.listReaders(context) }
        }
    }

    /// The current state of each of `readers` (flags, event counter, ATR), without waiting.
    public func states(of readers: [String]) async throws(PCSCError) -> [ReaderState] {
        try await thread.run { [self] () throws(PCSCError) -> [ReaderState] in
            try withContext { context throws(PCSCError) in try Self.currentStates(context, readers: readers) }
        }
    }

    /// Connects to the card in `reader` (`SCardConnect`).
    ///
    /// - Parameters:
    ///   - share: shared, exclusive, or direct (the reader itself, card or not).
    ///   - protocols: the protocols accepted; the reader picks the one the card's ATR offers.
    public func connect(
        to reader: String, share: ShareMode = .shared, protocols: CardProtocols = .any
    ) async throws(PCSCError) -> PCSCCard {
        let (cardHandle, active) = try await thread.run { [self] () throws(PCSCError) -> (Int, UInt) in
            try withContext { context throws(PCSCError) in
                try SCard.connect(context, reader: reader, share: share.code, protocols: UInt(protocols.rawValue))
            }
        }
        return PCSCCard(context: self, reader: reader, handle: cardHandle, protocolCode: active)
    }

    // MARK: On the context thread

    /// Runs `body` with a valid context, re-establishing it (with backoff) when pcscd was lost.
    func withContext<T>(_ body: (SCard.Context) throws(PCSCError) -> T) throws(PCSCError) -> T {
        guard !released else { throw .invalidHandle }
        if handle == nil { try reestablish(retrying: true) }
        do throws(PCSCError) {
            return try body(handle!)
        } catch where error.isServiceLost {
            try reestablish(retrying: true)
            return try body(handle!)
        }
    }

    /// Releases the current context, if any, and establishes a new one; when `retrying`, keeps trying while
    /// pcscd is unreachable, with exponential backoff, until ``recoveryTimeout``.
    private func reestablish(retrying: Bool) throws(PCSCError) {
        if let handle { SCard.release(handle) }
        handle = nil
        let clock = ContinuousClock()
        let deadline = clock.now + recoveryTimeout
        var delay = Duration.milliseconds(20)
        while true {
            do throws(PCSCError) {
                handle = try SCard.establish(scope: scope.code)
                generation += 1
                return
            } catch where retrying && error.isServiceLost && clock.now + delay < deadline {
                // Backoff between attempts to reach a restarting pcscd; this thread belongs to the context.
                Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18 + Double(delay.components.seconds))
                delay = min(delay * 2, .milliseconds(500))
            }
        }
    }

    /// After a transmit failed in a way that can mean the card was pulled out, asks the reader (waiting up to
    /// `wait` for pcscd's presence poll) and answers ``PCSCError/removedCard`` when the card is gone.
    func confirmRemoval(_ error: PCSCError, reader: String, wait: Duration = .milliseconds(1500)) -> PCSCError {
        let suspicious: [PCSCError] = [.truncatedResponse, .notTransacted, .commDataLost, .unknownError, .readerUnavailable]
        guard suspicious.contains(error), !released, let handle else { return error }
        var states = [SCard.RawReaderState(reader: reader, currentState: 0)]
        do throws(PCSCError) {
            try SCard.getStatusChange(handle, states: &states, timeoutMilliseconds: 0)
            if !Self.present(states[0].eventState) { return .removedCard }
            states[0].currentState = states[0].eventState
            let milliseconds = UInt(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
            try SCard.getStatusChange(handle, states: &states, timeoutMilliseconds: milliseconds)
            return Self.present(states[0].eventState) ? error : .removedCard
        } catch let check {
            // The reader itself vanished: say so. A timeout (card still present) or any other failure of the
            // check leaves the transmit's own error.
            return check == .unknownReader ? .readerUnavailable : error
        }
    }

    private static func present(_ word: UInt) -> Bool { word & 0x20 != 0 }

    /// Reads the state of `readers` with `SCARD_STATE_UNAWARE` (returns at once), 16 readers per call.
    static func currentStates(_ context: SCard.Context, readers: [String]) throws(PCSCError) -> [ReaderState] {
        var out: [ReaderState] = []
        var start = 0
        while start < readers.count {
            let chunk = readers[start..<min(start + SCard.maxReaderStates, readers.count)]
            var states = chunk.map { SCard.RawReaderState(reader: $0, currentState: 0) }
            try SCard.getStatusChange(context, states: &states, timeoutMilliseconds: 0)
            out += states.map { ReaderState(reader: $0.reader, word: $0.eventState, atr: $0.atr) }
            start += chunk.count
        }
        return out
    }
}
