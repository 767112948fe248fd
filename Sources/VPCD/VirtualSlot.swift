import Foundation
import Logging

/// One slot of the vsmartcard virtual reader (vpcd) driver inside pcscd, with a card that can be inserted,
/// removed, swapped and made to fail.
///
/// Speaks the vpcd protocol: every message is a 2-byte big-endian length and that many bytes; a 1-byte
/// message is a control (`00` power off, `01` power on, `02` reset, `04` get ATR), anything longer a command
/// APDU answered with the response APDU. A card is "inserted" while the connection is up and "removed" when
/// it closes. In ``Mode/connect(host:port:)`` the slot connects to the driver (the default driver setup) and
/// reconnects after pcscd restarts; in ``Mode/listen(host:port:)`` it waits for the driver to connect
/// (reversed mode, `DEVICENAME host:port`).
///
/// Socket I/O is blocking and runs on a thread of its own. Latency: `TCP_NODELAY` is set and `TCP_QUICKACK`
/// re-armed before every read, and each reply is written in one buffer (see pcsc-stack.md).
public final class VirtualSlot: @unchecked Sendable {
    // `@unchecked Sendable`: every mutable field below is guarded by `condition`, an NSCondition because the
    // socket thread waits on it for a card or a stop (Mutex has no wait), which the compiler cannot check.
    /// How the slot reaches the driver.
    public enum Mode: Sendable, Hashable, CustomStringConvertible {
        /// Connect to the driver listening on `host:port` (35963 + slot for Debian's default reader).
        case connect(host: String = "127.0.0.1", port: UInt16)
        /// Listen on `host:port` for the driver (reversed mode); port 0 picks a free port.
        case listen(host: String = "127.0.0.1", port: UInt16)

        public var description: String {
            switch self {
            case .connect(let host, let port): "connect to \(host):\(port)"
            case .listen(let host, let port): "listen on \(host):\(port)"
            }
        }
    }

    /// A snapshot of the slot.
    public struct Status: Sendable, Hashable {
        /// A card is in the slot.
        public var isCardPresent: Bool
        /// The connection with the driver is up.
        public var isConnected: Bool
        /// Command APDUs answered since the card was inserted.
        public var apdusSinceInsertion: Int
        /// Connections made with the driver since the slot started.
        public var connections: Int
        /// ATR requests answered on the current connection: at least 1 once pcscd has polled the card, so
        /// pcscd knows it is there.
        public var atrRequests: Int
        /// A mute card is holding a command APDU unanswered.
        public var isHoldingAPDU: Bool
        /// Power off, power on and reset controls received since the card was inserted: the driver (pcscd)
        /// resetting or power-cycling the card, which forgets its volatile state (selected file, verified PIN).
        public var powerControls: Int
        /// Faults in force.
        public var faults: [Fault]
    }

    public let mode: Mode
    /// How long the slot stays empty after a removal (and after it starts) before a card is presented again.
    /// pcscd notices a removal only by polling (about every 0.4 s): a card taken out and put back faster
    /// than that leaves pcscd with a card it believes removed and never sees again.
    public let minimumAbsence: Duration
    /// The slot serves one connection only (connect mode): when it ends, whoever closed it (a removal, the
    /// driver, pcscd restarting), the card is out and the slot stops instead of reconnecting.
    public let singleConnection: Bool
    private let logger: Logger
    private let condition = NSCondition()

    // Guarded by `condition`.
    private var card: (any VirtualCard)?
    private var generation = 0
    private var running = false
    private var finished = true
    private var connection: TCPSocket?
    private var listener: TCPSocket?
    private var boundPort: UInt16?
    private var apduCount = 0
    private var powerControls = 0
    private var atrRequests = 0
    private var holding = false
    private var connections = 0
    private var removeAfter: Int?
    private var mute = false
    private var slowMilliseconds = 0
    private var communicationErrors = 0
    private var absentSince = Date()

    public init(
        mode: Mode, minimumAbsence: Duration = .seconds(1), singleConnection: Bool = false,
        logger: Logger = Logger(label: "openvitale.vpcd")
    ) {
        self.mode = mode
        self.minimumAbsence = minimumAbsence
        self.singleConnection = singleConnection
        self.logger = logger
    }

    private var minimumAbsenceSeconds: Double {
        Double(minimumAbsence.components.seconds) + Double(minimumAbsence.components.attoseconds) / 1e18
    }

    /// When the card may be presented again (guarded by `condition`).
    private var presentableFrom: Date { absentSince.addingTimeInterval(minimumAbsenceSeconds) }

    deinit {
        connection?.close()
        listener?.close()
    }

    /// Starts serving on a thread of its own. In listen mode the port is bound before this returns (errors
    /// are thrown here).
    public func start() throws(SocketError) {
        condition.lock()
        defer { condition.unlock() }
        guard !running else { return }
        if case .listen(let host, let port) = mode {
            let socket = try TCPSocket.listen(host: host, port: port)
            listener = socket
            boundPort = socket.localPort
        }
        running = true
        finished = false
        absentSince = Date()
        let thread = Thread { [self] in
            switch mode {
            case .connect(let host, let port): runConnecting(host: host, port: port)
            case .listen: runListening()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "vpcd \(mode)"
        thread.start()
    }

    /// Stops serving, closes the connection (the driver sees the card removed) and waits for the thread.
    public func stop() {
        condition.lock()
        running = false
        connection?.shutdown()
        listener?.shutdown()
        condition.broadcast()
        while !finished { condition.wait() }
        listener?.close()
        listener = nil
        condition.unlock()
    }

    /// The port a listening slot is bound to.
    public var listeningPort: UInt16? { locked { boundPort } }

    /// Puts `card` in the slot (replacing and removing any card there first, as a swap does).
    public func insert(_ card: any VirtualCard) {
        card.powerOff()
        locked {
            if let connection {
                connection.shutdown()
                absentSince = Date()
            }
            self.card = card
            generation += 1
            apduCount = 0
            powerControls = 0
        }
        logger.info("card inserted", metadata: ["slot": "\(mode)"])
    }

    /// Takes the card out: the connection closes and the driver reports the card removed.
    public func remove() {
        locked { removeLocked() }
        logger.info("card removed", metadata: ["slot": "\(mode)"])
    }

    private func removeLocked() {
        if card != nil { absentSince = Date() }
        card = nil
        generation += 1
        connection?.shutdown()
        condition.broadcast()
    }

    /// The card in the slot.
    public var currentCard: (any VirtualCard)? { locked { card } }

    /// Adds a fault (replacing one of the same kind).
    public func inject(_ fault: Fault) {
        locked {
            switch fault {
            case .removeAfter(let n): removeAfter = max(0, n)
            case .mute: mute = true
            case .slow(let ms): slowMilliseconds = max(0, ms)
            case .communicationError(let n): communicationErrors = max(0, n)
            }
        }
        logger.info("fault injected", metadata: ["fault": "\(fault)"])
    }

    /// Clears every fault (a mute card answers again).
    public func clearFaults() {
        locked {
            removeAfter = nil
            mute = false
            slowMilliseconds = 0
            communicationErrors = 0
        }
    }

    /// The slot's state now.
    public var status: Status { locked { statusLocked() } }

    /// Waits, on a thread of its own, until `predicate` holds for the slot's status or `timeout` passes.
    /// Returns whether it holds.
    public func wait(timeout: Duration, until predicate: @escaping @Sendable (Status) -> Bool) async -> Bool {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let deadline = Date().addingTimeInterval(seconds)
        return await withCheckedContinuation { continuation in
            let thread = Thread { [self] in
                condition.lock()
                while !predicate(statusLocked()) {
                    if !condition.wait(until: deadline) { break }
                }
                let ok = predicate(statusLocked())
                condition.unlock()
                continuation.resume(returning: ok)
            }
            thread.start()
        }
    }

    private func statusLocked() -> Status {
        var faults: [Fault] = []
        if let n = removeAfter { faults.append(.removeAfter(apdus: n)) }
        if mute { faults.append(.mute) }
        if slowMilliseconds > 0 { faults.append(.slow(milliseconds: slowMilliseconds)) }
        if communicationErrors > 0 { faults.append(.communicationError(count: communicationErrors)) }
        return Status(isCardPresent: card != nil, isConnected: connection != nil, apdusSinceInsertion: apduCount,
                      connections: connections, atrRequests: connection != nil ? atrRequests : 0, isHoldingAPDU: holding,
                      powerControls: powerControls, faults: faults)
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }

    // MARK: Connect mode

    private func runConnecting(host: String, port: UInt16) {
        var backoff = 0.05
        var reportedFailure = false
        while true {
            condition.lock()
            while running && card == nil { condition.wait() }
            guard running, let card else { condition.unlock(); return }
            let myGeneration = generation
            let from = presentableFrom
            while running && generation == myGeneration && Date() < from { _ = condition.wait(until: from) }
            guard running, generation == myGeneration else { condition.unlock(); continue }
            condition.unlock()

            let socket: TCPSocket
            do {
                socket = try TCPSocket.connect(host: host, port: port)
            } catch {
                if !reportedFailure {
                    logger.warning("cannot reach the vpcd driver, retrying", metadata: ["error": "\(error)"])
                    reportedFailure = true
                }
                condition.lock()
                let until = Date().addingTimeInterval(backoff)
                while running && generation == myGeneration && Date() < until { _ = condition.wait(until: until) }
                condition.unlock()
                backoff = min(backoff * 2, 0.5)
                continue
            }
            backoff = 0.05
            reportedFailure = false
            serveConnection(socket, card: card, generation: myGeneration)
            if singleConnection {
                locked {
                    if generation == myGeneration { removeLocked() }
                    running = false
                }
                return
            }
        }
    }

    // MARK: Listen mode

    private func runListening() {
        guard let listener = locked({ self.listener }) else { return }
        while true {
            let client: TCPSocket
            do {
                client = try listener.accept()
            } catch {
                if !locked({ running }) { return }
                logger.warning("accept failed", metadata: ["error": "\(error)"])
                continue
            }
            condition.lock()
            guard running else { condition.unlock(); client.close(); return }
            guard let card, Date() >= presentableFrom else {
                // No card (or not out long enough): the driver sees the connection close, an empty slot.
                condition.unlock()
                client.close()
                continue
            }
            let myGeneration = generation
            condition.unlock()
            serveConnection(client, card: card, generation: myGeneration)
        }
    }

    // MARK: The exchange

    private func serveConnection(_ socket: TCPSocket, card: any VirtualCard, generation myGeneration: Int) {
        socket.setNoDelay()
        condition.lock()
        guard running, generation == myGeneration else {
            condition.unlock()
            socket.close()
            return
        }
        connection = socket
        connections += 1
        atrRequests = 0
        condition.broadcast()
        condition.unlock()
        logger.debug("connected to the vpcd driver", metadata: ["slot": "\(mode)"])

        do {
            try exchange(socket, card: card, generation: myGeneration)
        } catch {
            logger.debug("connection ended", metadata: ["reason": "\(error)"])
        }

        condition.lock()
        if connection?.fd == socket.fd { connection = nil }
        condition.broadcast()
        condition.unlock()
        socket.close()
    }

    private struct Removed: Error {}

    private func exchange(_ socket: TCPSocket, card: any VirtualCard, generation myGeneration: Int) throws {
        var header: [UInt8] = []
        var payload: [UInt8] = []
        var reply: [UInt8] = []
        reply.reserveCapacity(300)

        func send(_ bytes: [UInt8]) throws(SocketError) {
            reply.removeAll(keepingCapacity: true)
            reply.append(UInt8(truncatingIfNeeded: bytes.count >> 8))
            reply.append(UInt8(truncatingIfNeeded: bytes.count))
            reply.append(contentsOf: bytes)
            try socket.write(reply)
        }

        while true {
            socket.rearmQuickAck()
            try socket.read(exactly: 2, into: &header)
            let length = Int(header[0]) << 8 | Int(header[1])
            socket.rearmQuickAck()
            try socket.read(exactly: length, into: &payload)
            if length == 0 { continue }
            if length == 1 {
                switch payload[0] {
                case 0x00:
                    card.powerOff()
                    locked { powerControls += 1 }
                case 0x01:
                    card.powerOn()
                    locked { powerControls += 1 }
                case 0x02:
                    card.reset()
                    locked { powerControls += 1 }
                case 0x04:
                    try send(card.atr)
                    locked { atrRequests += 1 }
                default: logger.debug("unknown vpcd control", metadata: ["control": "\(payload[0])"])
                }
                continue
            }

            // A command APDU: apply the faults first.
            condition.lock()
            guard running, generation == myGeneration else { condition.unlock(); throw Removed() }
            if let n = removeAfter {
                if n <= 0 {
                    removeAfter = nil
                    removeLocked()
                    condition.unlock()
                    logger.info("fault: card pulled out during an APDU")
                    throw Removed()
                }
                removeAfter = n - 1
            }
            if mute {
                holding = true
                condition.broadcast()
                while mute && running && generation == myGeneration { condition.wait() }
                holding = false
            }
            guard running, generation == myGeneration else { condition.unlock(); throw Removed() }
            let delay = slowMilliseconds
            let garble = communicationErrors > 0
            if garble { communicationErrors -= 1 }
            apduCount += 1
            condition.broadcast()
            condition.unlock()

            if delay > 0 {
                let until = Date().addingTimeInterval(Double(delay) / 1000)
                condition.lock()
                while running && generation == myGeneration && Date() < until { _ = condition.wait(until: until) }
                let stillHere = running && generation == myGeneration
                condition.unlock()
                guard stillHere else { throw Removed() }
            }
            if garble {
                try send([0x6F])
            } else {
                try send(card.process(payload))
            }
        }
    }
}
