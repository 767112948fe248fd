import Foundation

/// A change in the readers known to pcscd or in the cards they hold.
public enum ReaderEvent: Sendable, Hashable {
    /// A reader appeared (also sent for every reader present when the sequence starts).
    case readerAdded(String)
    /// A reader disappeared (a card it held is reported removed first).
    case readerRemoved(String)
    /// A card that answers its reset is in the reader (also sent for cards present when the sequence starts).
    case cardInserted(reader: String, atr: [UInt8])
    /// The card left the reader.
    case cardRemoved(reader: String)
    /// A card is in the reader but does not answer the reset (`SCARD_STATE_MUTE`).
    case cardMute(reader: String)
    /// A program (possibly this one) connected to the card in exclusive mode (`SCARD_STATE_EXCLUSIVE`).
    case heldExclusively(reader: String)
    /// The exclusive connection ended; the card can be shared again.
    case exclusiveReleased(reader: String)
    /// pcscd cannot be reached; the sequence keeps trying to reconnect. The readers it served are then reported
    /// removed (their cards first), as if unplugged.
    case serviceLost(PCSCError)
    /// pcscd can be reached again; its readers are then reported added, with their cards inserted, as when the
    /// sequence starts.
    case serviceRestored
}

/// Reader and card events as an `AsyncSequence`, watched on a PC/SC context and a thread of their own.
///
/// Each iteration starts its own watcher: it first reports the readers (and cards) already present, then waits
/// in `SCardGetStatusChange` on the readers and on `\\?PnP?\Notification` for at most `wakeInterval` at a time,
/// listing the readers again after every wake-up (pcsc-lite 1.9.9 signals a new reader only if it comes during
/// the wait). Readers beyond the 15 that fit in one wait beside the PnP pseudo-reader are polled at each
/// wake-up. The watcher ends within `wakeInterval` when the consuming task is cancelled or stops iterating.
/// When pcscd goes away it reports ``ReaderEvent/serviceLost(_:)`` and keeps trying, with backoff.
public struct ReaderEvents: AsyncSequence, Sendable {
    public typealias Element = ReaderEvent
    public typealias Failure = Never

    public let scope: ContextScope
    public let wakeInterval: Duration

    /// - Parameter wakeInterval: the longest single wait in pcscd (bounds how late a new reader and the end of
    ///   the sequence are noticed); 1-2 seconds is a good value.
    public init(scope: ContextScope = .system, wakeInterval: Duration = .seconds(1)) {
        self.scope = scope
        self.wakeInterval = wakeInterval
    }

    public func makeAsyncIterator() -> Iterator {
        let (stream, continuation) = AsyncStream.makeStream(of: ReaderEvent.self, bufferingPolicy: .unbounded)
        let watcher = ReaderWatcher(scope: scope, wakeInterval: wakeInterval, continuation: continuation)
        continuation.onTermination = { _ in watcher.cancel() }
        watcher.start()
        return Iterator(base: stream.makeAsyncIterator())
    }

    /// Iterates the events of one watcher.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<ReaderEvent>.Iterator

        public mutating func next() async -> ReaderEvent? { await base.next() }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> ReaderEvent? {
            await base.next(isolation: actor)
        }
    }
}

/// The thread behind ``ReaderEvents``.
final class ReaderWatcher: @unchecked Sendable {
    // `@unchecked Sendable`: `cancelled` and `liveContext` are guarded by `condition`; the rest is only touched on
    // the watcher's own thread.
    private let scope: ContextScope
    private let waitMilliseconds: UInt
    private let continuation: AsyncStream<ReaderEvent>.Continuation
    private let condition = NSCondition()
    private var cancelled = false
    private var liveContext: SCard.Context?

    private static let changedFlag: UInt = 0x2
    private static let readersPerWait = SCard.maxReaderStates - 1

    init(scope: ContextScope, wakeInterval: Duration, continuation: AsyncStream<ReaderEvent>.Continuation) {
        self.scope = scope
        let milliseconds = wakeInterval.components.seconds * 1000 + wakeInterval.components.attoseconds / 1_000_000_000_000_000
        self.waitMilliseconds = UInt(max(milliseconds, 10))
        self.continuation = continuation
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "PCSC reader events"
        thread.start()
    }

    /// Stops the watcher: ends a wait in progress (`SCardCancel`) or, if the cancel comes before the wait, lets
    /// the next bounded wait be the last.
    func cancel() {
        condition.lock()
        cancelled = true
        if let liveContext { SCard.cancel(liveContext) }
        condition.broadcast()
        condition.unlock()
    }

    private var isCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    private func publish(_ context: SCard.Context?) {
        condition.lock()
        liveContext = context
        condition.unlock()
    }

    /// Waits `seconds` or until cancelled.
    private func pause(_ seconds: Double) {
        condition.lock()
        let until = Date(timeIntervalSinceNow: seconds)
        while !cancelled, Date() < until { _ = condition.wait(until: until) }
        condition.unlock()
    }

    /// Sends `event`; false when nobody listens any more.
    @discardableResult
    private func emit(_ event: ReaderEvent) -> Bool {
        if case .terminated = continuation.yield(event) { return false }
        return true
    }

    private func run() {
        var context: SCard.Context?
        var known: [String: UInt] = [:]  // reader → last event state word
        var order: [String] = []
        var plugAndPlayState: UInt = 0
        var serviceDown = false
        var backoff = 0.05

        defer {
            publish(nil)
            if let context { SCard.release(context) }
            continuation.finish()
        }

        while !isCancelled {
            guard let current = context ?? establish() else {
                if !serviceDown {
                    serviceDown = true
                    if !emit(.serviceLost(.noService)) { return }
                }
                pause(backoff)
                backoff = min(backoff * 2, 1)
                continue
            }
            if context == nil {
                context = current
                backoff = 0.05
                if serviceDown {
                    serviceDown = false
                    if !emit(.serviceRestored) { return }
                }
            }
            do throws(PCSCError) {
                let names = try SCard.listReaders(current)
                for name in order where !names.contains(name) {
                    if let word = known[name], Self.flags(word) & 0x20 != 0 {
                        if !emit(.cardRemoved(reader: name)) { return }
                    }
                    known[name] = nil
                    if !emit(.readerRemoved(name)) { return }
                }
                let added = names.filter { known[$0] == nil }
                if !added.isEmpty {
                    for state in try PCSCContext.currentStates(current, readers: added) {
                        if !emit(.readerAdded(state.reader)) { return }
                        if !report(reader: state.reader, old: nil, new: Self.word(state), atr: state.atr) { return }
                        known[state.reader] = Self.word(state)
                    }
                }
                order = names

                var states = [SCard.RawReaderState(reader: SCard.plugAndPlayReader, currentState: plugAndPlayState)]
                for name in names.prefix(Self.readersPerWait) {
                    states.append(SCard.RawReaderState(reader: name, currentState: (known[name] ?? 0) & ~Self.changedFlag))
                }
                var changed = true
                do throws(PCSCError) {
                    try SCard.getStatusChange(current, states: &states, timeoutMilliseconds: waitMilliseconds)
                } catch where error == .timeout || error == .cancelled {
                    changed = false
                }
                if changed {
                    plugAndPlayState = states[0].eventState & ~Self.changedFlag
                    for state in states.dropFirst() {
                        if !report(reader: state.reader, old: known[state.reader], new: state.eventState, atr: state.atr) { return }
                        known[state.reader] = state.eventState & ~Self.changedFlag
                    }
                }
                if names.count > Self.readersPerWait {
                    for state in try PCSCContext.currentStates(current, readers: Array(names.dropFirst(Self.readersPerWait))) {
                        if !report(reader: state.reader, old: known[state.reader], new: Self.word(state), atr: state.atr) { return }
                        known[state.reader] = Self.word(state)
                    }
                }
            } catch where error.isServiceLost {
                publish(nil)
                SCard.release(current)
                context = nil
                serviceDown = true
                if !emit(.serviceLost(error)) { return }
                // The readers went away with pcscd (as if unplugged); a new pcscd serves them afresh, with
                // event counters of its own: report them removed now and added again (cards too) once it is back.
                for name in order {
                    if let word = known[name], Self.flags(word) & 0x20 != 0 {
                        if !emit(.cardRemoved(reader: name)) { return }
                    }
                    if !emit(.readerRemoved(name)) { return }
                }
                known = [:]
                order = []
                plugAndPlayState = 0
            } catch where error == .unknownReader || error == .readerUnavailable || error == .cancelled {
                continue  // a reader vanished between listing and waiting, or a stray cancel: list again
            } catch {
                pause(1)  // unexpected: do not spin
            }
        }
    }

    private func establish() -> SCard.Context? {
        do throws(PCSCError) {
            let context = try SCard.establish(scope: scope.code)
            publish(context)
            if isCancelled { SCard.cancel(context) }
            return context
        } catch {
            return nil
        }
    }

    /// Emits the card events between two state words of `reader`; false when nobody listens any more.
    private func report(reader: String, old: UInt?, new: UInt, atr: [UInt8]) -> Bool {
        let before = old.map(Self.flags) ?? 0
        let after = Self.flags(new)
        let present: UInt = 0x20, mute: UInt = 0x200, exclusive: UInt = 0x80
        let wasPresent = before & present != 0, isPresent = after & present != 0
        let wasUsable = wasPresent && before & mute == 0, isUsable = isPresent && after & mute == 0
        // The upper 16 bits count insertions and removals: a card swapped between two waits keeps PRESENT set.
        let swapped = old != nil && wasPresent && isPresent && (old! >> 16) & 0xFFFF != (new >> 16) & 0xFFFF

        var events: [ReaderEvent] = []
        if wasPresent, !isPresent || swapped { events.append(.cardRemoved(reader: reader)) }
        if isUsable, !wasUsable || swapped { events.append(.cardInserted(reader: reader, atr: atr)) }
        if isPresent, after & mute != 0, !wasPresent || before & mute == 0 || swapped { events.append(.cardMute(reader: reader)) }
        if after & exclusive != 0, before & exclusive == 0 { events.append(.heldExclusively(reader: reader)) }
        if before & exclusive != 0, after & exclusive == 0, isPresent { events.append(.exclusiveReleased(reader: reader)) }
        for event in events where !emit(event) { return false }
        return true
    }

    private static func flags(_ word: UInt) -> UInt { word & 0xFFFF }
    private static func word(_ state: ReaderState) -> UInt { UInt(state.flags.rawValue) | UInt(state.eventCount) << 16 }
}

extension ReaderEvent {
    /// The reader the event is about, nil for service events.
    public var reader: String? {
        switch self {
        case .readerAdded(let reader), .readerRemoved(let reader): reader
        case .cardInserted(let reader, _), .cardRemoved(let reader), .cardMute(let reader),
            .heldExclusively(let reader), .exclusiveReleased(let reader):
            reader
        case .serviceLost, .serviceRestored: nil
        }
    }
}
