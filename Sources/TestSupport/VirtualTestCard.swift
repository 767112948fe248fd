import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What a ``VirtualTestCard`` does with the APDUs it receives.
public protocol VirtualCardResponder: Sendable {
    /// The answer to one command APDU.
    func respond(to command: [UInt8]) -> VirtualTestCard.Reply
    /// Forgets volatile state (the reader powered the card off or reset it).
    func reset()
}

/// A minimal virtual card for integration tests: a client of the vpcd virtual reader driver inside pcscd.
///
/// It connects to the TCP port of one slot of a test reader (the card is then "inserted"), answers the driver's
/// 1-byte controls (`00` power off, `01` power on, `02` reset, `04` get ATR) and passes APDUs to a
/// ``VirtualCardResponder``. Closing the connection "removes" it: on demand (``remove()``), when the responder
/// says so, or on receiving the `removeDuringCommand`-th APDU (without answering it).
///
/// It runs on a thread of its own with blocking socket calls, sets `TCP_NODELAY`, re-arms `TCP_QUICKACK` before
/// every read (the Debian 12 driver writes length and payload separately: without it every APDU stalls ~40 ms on
/// delayed ACKs) and writes each reply, length included, as one buffer.
public final class VirtualTestCard: @unchecked Sendable {
    /// A responder's answer.
    public enum Reply: Sendable {
        /// The response APDU (data then SW1 SW2).
        case response([UInt8])
        /// Close the connection without answering, as if the card were pulled out during the command.
        case remove
    }

    public struct ConnectError: Error, CustomStringConvertible {
        public var port: UInt16
        public var errno: Int32
        public var description: String { "virtual card: cannot connect to vpcd on 127.0.0.1:\(port): \(String(cString: strerror(errno)))" }
    }

    public let port: UInt16
    public let atr: [UInt8]
    private let responder: any VirtualCardResponder
    private let removeDuringCommand: Int?
    private let fd: Int32

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var commands = 0
    private var removed = false
    private var powered = false
    private var atrRequests = 0

    /// Connects a card to the vpcd slot listening on `port`, retrying until `deadline` while the driver is not
    /// listening yet (pcscd starting or restarting). The connection is made on a thread of its own, never on the
    /// cooperative pool.
    public init(
        port: UInt16, atr: [UInt8], responder: any VirtualCardResponder, removeDuringCommand: Int? = nil,
        deadline: Duration = .seconds(15)
    ) async throws {
        precondition((1...33).contains(atr.count), "an ATR has 1 to 33 bytes")
        self.port = port
        self.atr = atr
        self.responder = responder
        self.removeDuringCommand = removeDuringCommand
        self.fd = try await onOwnThread { () throws(ConnectError) -> Int32 in try Self.connect(port: port, deadline: deadline) }
        let thread = Thread { [self] in serve() }
        thread.name = "virtual card :\(port)"
        thread.start()
    }

    /// Blocking connect to 127.0.0.1:`port`, each attempt bounded by a 1 s send timeout.
    private static func connect(port: UInt16, deadline: Duration) throws(ConnectError) -> Int32 {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while true {
            let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard socketFD >= 0 else { throw ConnectError(port: port, errno: errno) }
            // vpcd listens with a backlog of 0 and accepts only when its slot is free, on pcscd's presence poll:
            // a connect can wait; bound each attempt so the overall deadline holds.
            var timeout = timeval(tv_sec: 1, tv_usec: 0)
            setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result == 0 {
                var none = timeval(tv_sec: 0, tv_usec: 0)
                setsockopt(socketFD, SOL_SOCKET, SO_SNDTIMEO, &none, socklen_t(MemoryLayout<timeval>.size))
                var one: Int32 = 1
                setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return socketFD
            }
            let failure = errno
            close(socketFD)
            guard clock.now < end else { throw ConnectError(port: port, errno: failure) }
            if failure == ECONNREFUSED {
                // The driver is not listening yet (pcscd starting): try again shortly, within `deadline`.
                usleep(20_000)
            }
        }
    }

    deinit {
        // `serve` holds `self` until the socket is closed, so reaching deinit means it is closed already.
    }

    /// Pulls the card out: closes the connection (the driver then reports the slot empty).
    public func remove() {
        // Under the lock: once the card's thread has closed the socket, its number may belong to another file.
        condition.withLock {
            if !removed { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// How many command APDUs the card received.
    public var commandCount: Int { condition.withLock { commands } }

    /// How many times the driver asked for the ATR (it polls presence this way).
    public var atrRequestCount: Int { condition.withLock { atrRequests } }

    /// True once the connection is closed.
    public var isRemoved: Bool { condition.withLock { removed } }

    /// Waits (on a thread of its own) until the connection is closed; false if `deadline` passed first.
    @discardableResult
    public func waitUntilRemoved(deadline: Duration = .seconds(10)) async -> Bool {
        await onOwnThread { [self] in waitFor(deadline: deadline) { removed } }
    }

    /// Waits (on a thread of its own) until the driver has asked for the ATR (pcscd saw the card); false on timeout.
    @discardableResult
    public func waitUntilSeen(deadline: Duration = .seconds(10)) async -> Bool {
        await onOwnThread { [self] in waitFor(deadline: deadline) { atrRequests > 0 } }
    }

    private func waitFor(deadline: Duration, _ predicate: () -> Bool) -> Bool {
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        let until = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while !predicate() {
            if !condition.wait(until: until) { return predicate() }
        }
        return true
    }

    // MARK: The card's thread

    private func serve() {
        defer {
            condition.withLock {
                shutdown(fd, Int32(SHUT_RDWR))
                close(fd)
                removed = true
                condition.broadcast()
            }
        }
        while let message = readMessage() {
            if message.count == 1 {
                switch message[0] {
                case 0x00:  // power off
                    condition.withLock { powered = false }
                    responder.reset()
                case 0x01:  // power on
                    condition.withLock { powered = true }
                case 0x02:  // reset
                    responder.reset()
                case 0x04:  // get ATR
                    condition.withLock {
                        atrRequests += 1
                        condition.broadcast()
                    }
                    guard write(atr) else { return }
                default:
                    continue
                }
                continue
            }
            guard !message.isEmpty else { continue }
            let number = condition.withLock {
                commands += 1
                return commands
            }
            if let removeDuringCommand, number >= removeDuringCommand { return }
            switch responder.respond(to: message) {
            case .response(let bytes):
                guard write(bytes) else { return }
            case .remove:
                return
            }
        }
    }

    /// One message from the driver (2-byte big-endian length, then the payload); nil when the connection ended.
    private func readMessage() -> [UInt8]? {
        guard let header = readExactly(2) else { return nil }
        return readExactly(Int(header[0]) << 8 | Int(header[1]))
    }

    private func readExactly(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + done, count - done, 0) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return buffer
    }

    /// Writes length and payload as one buffer.
    private func write(_ payload: [UInt8]) -> Bool {
        guard !payload.isEmpty, payload.count <= 0xFFFF else { return false }
        let message = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
        var done = 0
        while done < message.count {
            let n = message.withUnsafeBytes { send(fd, $0.baseAddress! + done, message.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }
}
