import Foundation
import Synchronization

/// Something that happened in the daemon, as sent to API clients on the event stream (`GET /v1/events`,
/// server-sent events). Events never carry personal data: a client that wants the beneficiaries reads
/// `GET /v1/card` after a `vitale.read` event.
public struct DaemonEvent: Sendable, Equatable, Codable {
    /// Monotonic within one run of the daemon (the SSE `id`).
    public var id: Int64
    /// The event type (the SSE `event`), e.g. `vitale.inserted`; see docs/daemon-api.md.
    public var type: Kind
    /// When it happened (ISO 8601, UTC, milliseconds).
    public var time: String
    /// Details (reader name, counts, claim id and state, error text): never names or NIRs.
    public var data: [String: String]

    public init(id: Int64, type: Kind, time: String, data: [String: String]) {
        self.id = id
        self.type = type
        self.time = time
        self.data = data
    }

    /// The event types, with their names on the wire (docs/daemon-api.md, "Events").
    public enum Kind: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
        /// A configured reader appeared (`slot`: `vitale` or `cps`).
        case readerAdded = "reader.added"
        /// A configured reader went away (`slot`).
        case readerRemoved = "reader.removed"
        /// A card was inserted in the Vitale slot and is being read.
        case vitaleInserted = "vitale.inserted"
        /// The carte Vitale was read (`beneficiaries`, `readMs`, `rightsReadable`).
        case vitaleRead = "vitale.read"
        /// The card in the Vitale slot could not be read (`error`).
        case vitaleError = "vitale.error"
        /// The carte Vitale was removed (and forgotten).
        case vitaleRemoved = "vitale.removed"
        /// A card was inserted in the CPS slot.
        case cpsInserted = "cps.inserted"
        /// The CPS was read (`situations`, `pin`).
        case cpsRead = "cps.read"
        /// The card in the CPS slot could not be read (`error`).
        case cpsError = "cps.error"
        /// The CPS was removed.
        case cpsRemoved = "cps.removed"
        /// A wrong PIN was given (`triesLeft`).
        case cpsPINWrong = "cps.pin.wrong"
        /// The CPS's PIN is blocked.
        case cpsPINBlocked = "cps.pin.blocked"
        /// The practitioner's session opened (`situation`).
        case cpsSessionOpened = "cps.session.opened"
        /// The practitioner's session closed (`reason`?).
        case cpsSessionClosed = "cps.session.closed"
        /// pcscd cannot be reached (`error`).
        case pcscLost = "pcsc.lost"
        /// pcscd is reachable again.
        case pcscRestored = "pcsc.restored"
        /// A claim was stored (`claim`, `state`).
        case claimCreated = "claim.created"
        /// A claim was signed (`claim`).
        case claimSigned = "claim.signed"
        /// The gateway answered a lot's ARL (`lot`, `status`, `code`, `fse`).
        case lotAnswered = "lot.answered"
        /// Sending a lot failed (`lot`, `reason`, `retryInMs`).
        case lotFailed = "lot.failed"
        /// Returns were reconciled (`paid`, `rejected`, `paidCents`).
        case returns

        public var description: String { rawValue }
    }
}

/// Fans daemon events out to every subscriber (the SSE streams), keeping the last few for clients that
/// reconnect with `Last-Event-ID`.
public final class EventHub: Sendable {
    private struct State {
        var nextID: Int64 = 1
        var subscribers: [UInt64: AsyncStream<DaemonEvent>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var recent: [DaemonEvent] = []
        var closed = false
    }
    private let state = Mutex(State())
    /// How many past events are replayed to a client reconnecting with `Last-Event-ID`.
    public let replayLimit: Int

    public init(replayLimit: Int = 256) {
        self.replayLimit = replayLimit
    }

    /// Publishes an event to every subscriber.
    @discardableResult
    public func publish(_ type: DaemonEvent.Kind, _ data: [String: String] = [:]) -> DaemonEvent {
        state.withLock { s in
            let event = DaemonEvent(id: s.nextID, type: type, time: Timestamp.now(), data: data)
            s.nextID += 1
            s.recent.append(event)
            if s.recent.count > replayLimit { s.recent.removeFirst(s.recent.count - replayLimit) }
            for c in s.subscribers.values { c.yield(event) }
            return event
        }
    }

    /// A stream of the events published from now on (after replaying those after `lastEventID`, if given).
    /// The stream ends when ``close()`` is called (graceful shutdown) or the subscriber stops iterating.
    public func subscribe(after lastEventID: Int64? = nil) -> AsyncStream<DaemonEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: DaemonEvent.self, bufferingPolicy: .bufferingNewest(1024))
        let key: UInt64? = state.withLock { s in
            if let lastEventID {
                for e in s.recent where e.id > lastEventID { continuation.yield(e) }
            }
            if s.closed { return nil }
            let key = s.nextSubscriber
            s.nextSubscriber += 1
            s.subscribers[key] = continuation
            return key
        }
        guard let key else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: key) }
        }
        return stream
    }

    /// The number of open subscriptions.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every subscription and refuses new ones (the daemon is shutting down).
    public func close() {
        let continuations = state.withLock { s in
            s.closed = true
            let all = Array(s.subscribers.values)
            s.subscribers.removeAll()
            return all
        }
        for c in continuations { c.finish() }
    }
}

/// ISO 8601 timestamps for the API and the logs.
enum Timestamp {
    static func now() -> String { string(Date()) }

    static func string(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }
}
