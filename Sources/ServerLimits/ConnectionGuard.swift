import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// The open connections of one listener, with the ``ConnectionLimits`` they are held to.
///
/// Give ``http1`` to Hummingbird's `Application(server:)`: every connection then gets a
/// ``ConnectionDeadlineHandler`` that enforces the deadlines and reports here whether it is idle, so that at
/// the bound a new connection closes the one idle the longest instead of being refused. Idle connections
/// (for instance a local user opening many to exhaust descriptors) can then never lock out a client that
/// sends a request.
public final class ConnectionGuard: Sendable {
    public let limits: ConnectionLimits
    let logger: Logger
    private let state = Mutex(State())

    struct Entry {
        let channel: any Channel
        /// When the connection became idle (no request under way); nil while a request is read or answered.
        var idleSince: NIODeadline?
    }

    struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var counters = Counters()
    }

    /// What the guard did, since it was created.
    public struct Counters: Sendable, Equatable {
        /// Connections open now.
        public var open = 0
        /// Idle connections closed to admit a new one.
        public var evicted = 0
        /// New connections closed because every open one was busy.
        public var refused = 0
        /// Requests closed for missing their header or body deadline.
        public var timedOut = 0
        /// Connections closed for staying idle past ``ConnectionLimits/idleTimeout``.
        public var idleClosed = 0
    }

    public init(limits: ConnectionLimits, logger: Logger) {
        self.limits = limits
        self.logger = logger
    }

    public var counters: Counters {
        state.withLock { s in
            var c = s.counters
            c.open = s.entries.count
            return c
        }
    }

    /// Hummingbird's HTTP/1.1 server with this guard on every connection.
    public var http1: HTTPServerBuilder {
        .http1(configuration: .init(additionalChannelHandlers: [ConnectionDeadlineHandler(guard: self)]))
    }

    /// Registers a new connection; false when it must be closed (the bound is reached and none is idle).
    func admit(_ channel: any Channel) -> Bool {
        let id = ObjectIdentifier(channel)
        let (admitted, victim, counters) = state.withLock { s -> (Bool, (any Channel)?, Counters) in
            var victim: (any Channel)?
            if s.entries.count >= limits.maxConnections {
                let oldest = s.entries.lazy.filter { $0.value.idleSince != nil }
                    .min { $0.value.idleSince! < $1.value.idleSince! }
                guard let oldest else {
                    s.counters.refused += 1
                    return (false, nil, s.counters)
                }
                s.entries[oldest.key] = nil
                s.counters.evicted += 1
                victim = oldest.value.channel
            }
            s.entries[id] = Entry(channel: channel, idleSince: .now())
            return (true, victim, s.counters)
        }
        victim?.close(promise: nil)
        if !admitted || victim != nil {
            let event = admitted ? counters.evicted : counters.refused
            // One line for the first and then every 1 000th, not one per connection of a flood.
            if event % 1000 == 1 {
                logger.warning("connection bound reached", metadata: [
                    "maxConnections": "\(limits.maxConnections)", "evicted": "\(counters.evicted)", "refused": "\(counters.refused)",
                ])
            }
        }
        return admitted
    }

    /// Records whether the connection is idle (evictable) or busy with a request.
    func mark(_ channel: any Channel, idle: Bool) {
        let id = ObjectIdentifier(channel)
        state.withLock { s in
            guard s.entries[id] != nil else { return }
            s.entries[id]?.idleSince = idle ? .now() : nil
        }
    }

    func remove(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    func count(_ keyPath: any WritableKeyPath<Counters, Int> & Sendable) {
        state.withLock { $0.counters[keyPath: keyPath] += 1 }
    }
}
