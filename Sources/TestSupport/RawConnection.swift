import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP or Unix-socket connection for tests that behave as no HTTP client would: send half a request,
/// announce a body and never send it, trickle bytes, or sit idle. Every call is blocking with a deadline: call
/// it from ``onOwnThread(_:)``. Every unsafe pointer of these tests is in this file.
public final class RawConnection: @unchecked Sendable {
    // @unchecked: one test thread at a time uses a connection; `fd` is only read after init, and closed once.
    public let fd: Int32

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "connect to port \(port): errno \(e)")
        }
        self.fd = fd
    }

    /// Connects to the Unix socket at `path`.
    public init(unixPath path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure(description: "socket path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let e = errno
            close(fd)
            throw Failure(description: "connect to \(path): errno \(e)")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// A TCP port of 127.0.0.1 free a moment ago (bound to port 0, read back, released).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "bind: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Sends `text` (all of it, or throws when the peer closed).
    public func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += n
        }
    }

    /// What the peer sent until it closed the connection, or until `timeout` passed.
    public struct Received: Sendable {
        public var bytes: [UInt8]
        /// The peer closed (end of stream or reset) before the timeout.
        public var closed: Bool
        public init(bytes: [UInt8], closed: Bool) {
            self.bytes = bytes
            self.closed = closed
        }

        public var text: String { String(decoding: bytes, as: UTF8.self) }
        /// The status code of the first HTTP answer, if one arrived.
        public var status: Int? {
            guard text.hasPrefix("HTTP/1.1 "), text.count >= 12 else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }
    }

    /// Reads until the peer closes or `timeout` passes.
    public func readUntilClosed(timeout: Duration) -> Received {
        let end = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let left = end - ContinuousClock.now
            guard left > .zero else { return Received(bytes: received, closed: false) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Self.milliseconds(left))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += buffer[..<n] } else { return Received(bytes: received, closed: true) }
        }
    }

    /// Reads one HTTP answer with a `Content-Length` body (or until the peer closes), within `timeout`.
    public func readAnswer(timeout: Duration) -> Received {
        let end = ContinuousClock.now + timeout
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            if let complete = Self.completeAnswerLength(received) {
                return Received(bytes: Array(received[..<complete]), closed: false)
            }
            let left = end - ContinuousClock.now
            guard left > .zero else { return Received(bytes: received, closed: false) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Self.milliseconds(left))
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += buffer[..<n] } else { return Received(bytes: received, closed: true) }
        }
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        Int32(clamping: max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
    }

    static func completeAnswerLength(_ bytes: [UInt8]) -> Int? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let headEnd = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else {
            return nil
        }
        let head = String(decoding: bytes[..<headEnd], as: UTF8.self).lowercased()
        var length = 0
        for line in head.split(separator: "\r\n") where line.hasPrefix("content-length:") {
            length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
        }
        let total = headEnd + 4 + length
        return bytes.count >= total ? total : nil
    }
}
