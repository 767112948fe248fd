#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error of a socket call: the C `errno` value (`ECONNREFUSED`, `ECONNRESET`, …) and the call that failed.
public struct SocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` value; 0 when the peer closed the connection.
    public var code: Int32
    /// The C call (`connect`, `recv`, …).
    public var call: String

    public init(code: Int32, call: String) {
        self.code = code
        self.call = call
    }

    /// The peer closed the connection (`recv` returned 0).
    public static func closed(_ call: String) -> SocketError { SocketError(code: 0, call: call) }

    public var isClosed: Bool { code == 0 }

    public var description: String {
        if code == 0 { return "\(call): connection closed by the peer" }
        return "\(call): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// A blocking IPv4 TCP socket: the only place of the module that touches C sockets and pointers.
/// Blocking calls must run on threads of their own, never on Swift's cooperative pool.
struct TCPSocket: Sendable {
    let fd: Int32

    private static func make() throws(SocketError) -> TCPSocket {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError(code: errno, call: "socket") }
        return TCPSocket(fd: fd)
    }

    private static func address(_ host: String, _ port: UInt16) throws(SocketError) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &addr.sin_addr) == 1 else { throw SocketError(code: EINVAL, call: "inet_pton(\(host))") }
        return addr
    }

    /// Connects to `host` (an IPv4 address) and `port`.
    static func connect(host: String, port: UInt16) throws(SocketError) -> TCPSocket {
        let s = try make()
        var addr = try address(host, port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(s.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            s.close()
            throw SocketError(code: code, call: "connect(\(host):\(port))")
        }
        return s
    }

    /// A listening socket on `host:port` (SO_REUSEADDR).
    static func listen(host: String, port: UInt16) throws(SocketError) -> TCPSocket {
        let s = try make()
        var yes: Int32 = 1
        _ = setsockopt(s.fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = try address(host, port)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(s.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else {
            let code = errno
            s.close()
            throw SocketError(code: code, call: "bind(\(host):\(port))")
        }
        guard Glibc.listen(s.fd, 4) == 0 else {
            let code = errno
            s.close()
            throw SocketError(code: code, call: "listen")
        }
        return s
    }

    /// The port the socket is bound to.
    var localPort: UInt16 {
        var addr = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// Accepts one connection.
    func accept() throws(SocketError) -> TCPSocket {
        while true {
            let client = Glibc.accept(fd, nil, nil)
            if client >= 0 { return TCPSocket(fd: client) }
            if errno == EINTR { continue }
            throw SocketError(code: errno, call: "accept")
        }
    }

    /// Disables Nagle's algorithm.
    func setNoDelay() {
        var yes: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Re-arms quick ACKs (Linux clears the flag after a while): call before every read.
    func rearmQuickAck() {
        #if os(Linux)
        var yes: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Reads exactly `count` bytes into `buffer` (replacing its content).
    func read(exactly count: Int, into buffer: inout [UInt8]) throws(SocketError) {
        buffer.removeAll(keepingCapacity: true)
        guard count > 0 else { return }
        buffer.reserveCapacity(count)
        var chunk = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = chunk.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress! + got, count - got, 0)
            }
            if n > 0 {
                got += n
            } else if n == 0 {
                throw .closed("recv")
            } else if errno != EINTR {
                throw SocketError(code: errno, call: "recv")
            }
        }
        buffer.append(contentsOf: chunk)
    }

    /// Writes every byte of `bytes` (one `send` in the usual case).
    func write(_ bytes: [UInt8]) throws(SocketError) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n >= 0 {
                sent += n
            } else if errno != EINTR {
                throw SocketError(code: errno, call: "send")
            }
        }
    }

    /// Ends both directions, waking a thread blocked in `recv` or `accept` on this socket.
    func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    func close() { _ = Glibc.close(fd) }
}
