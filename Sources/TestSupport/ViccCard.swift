import Foundation
import PCSC
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A foreign card for integration tests: Debian's `vicc` (package `vsmartcard-vpicc`, vsmartcard's Python
/// emulator of a generic ISO 7816 card) run as a child process against one slot of a leased test reader. It is
/// neither a carte Vitale nor a CPS: it answers `6A82` to a SELECT of their applications.
///
/// Two ways to present it:
/// - ``init(in:slot:)``: `vicc` connects to the slot itself and pcscd sees its own ATR
///   (`3B 95 13 81 01 80 73 FF 01 00 0B`, T=1);
/// - ``init(in:slot:presenting:)``: `vicc` connects to a relay of the test, and a ``VirtualTestCard`` in the slot
///   presents `atr` (a carte Vitale 2 or CPS ATR) and forwards every APDU to `vicc` and its answer back: a card
///   that looks like a Vitale or a CPS from its ATR, whose answers are those of the generic ISO 7816 card.
///
/// Debian 12's `vicc` (vsmartcard 0.8, `python3-virtualsmartcard` 3.3+dfsg-2) does not start as installed: its
/// module is in `/usr/lib/python3/site-packages/virtualsmartcard`, outside Python's path, and it imports PyCrypto's
/// `Crypto` package, which Debian ships as PyCryptodome's `Cryptodome` (`python3-pycryptodome`). The helper
/// starts it with `PYTHONPATH` naming that folder and a folder of its own where `Crypto` links to `Cryptodome`.
///
/// The card is in the slot once pcscd reports it there (the initialisers wait for that); ``stop()`` ends `vicc`
/// and waits until pcscd reports the slot empty.
public final class ViccCard: Sendable {
    /// The program, as Debian installs it.
    public static let executable = URL(fileURLWithPath: "/usr/bin/vicc")

    /// `vicc` could not be started or did not present its card.
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    /// The pcscd name of the slot the card is in.
    public let reader: String
    /// The ATR pcscd reports for the card.
    public let atr: [UInt8]
    /// The `vicc` process.
    public let process: ChildProcess
    private let relayedCard: VirtualTestCard?
    private let relay: ViccRelay?
    private let folder: TemporaryFolder

    /// Starts `vicc` against slot `slot` (0 or 1) of `lease`; returns once pcscd reports the card in that slot.
    public convenience init(in lease: TestReaderLease, slot: Int, deadline: Duration = .seconds(20)) async throws {
        try await self.init(lease: lease, slot: slot, presenting: nil, deadline: deadline)
    }

    /// Starts `vicc` behind a relay and presents it with `atr` in slot `slot` of `lease`; returns once pcscd
    /// reports the card in that slot.
    public convenience init(in lease: TestReaderLease, slot: Int, presenting atr: [UInt8], deadline: Duration = .seconds(20)) async throws {
        try await self.init(lease: lease, slot: slot, presenting: Optional(atr), deadline: deadline)
    }

    private init(lease: TestReaderLease, slot: Int, presenting: [UInt8]?, deadline: Duration) async throws {
        precondition(slot == 0 || slot == 1, "a test reader has slots 0 and 1")
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            throw Unavailable(description: "\(Self.executable.path) is missing: install the Debian package vsmartcard-vpicc")
        }
        let folder = try TemporaryFolder(prefix: "openvitale-vicc")
        self.folder = folder
        reader = lease.readerName(slot: slot)
        let port = slot == 0 ? lease.slot0Port : lease.slot1Port
        let environment = ["PYTHONPATH": try Self.pythonPath(shimIn: folder)]
        // `vicc -v`: its errors (a refused connection) on standard error.
        func vicc(port: UInt16) throws -> ChildProcess {
            try ChildProcess(Self.executable, ["-t", "iso7816", "-v", "-H", "127.0.0.1", "-P", "\(port)"],
                             environment: environment, folder: folder.url, name: "vicc")
        }
        if let presenting {
            let listener = try ViccRelay.Listener()
            let process = try vicc(port: listener.port)
            self.process = process
            let relay = ViccRelay(socket: try await onOwnThread { try listener.accept(timeout: deadline, while: { process.isRunning }) })
            self.relay = relay
            relayedCard = try await VirtualTestCard(port: port, atr: presenting, responder: relay, deadline: deadline)
        } else {
            process = try vicc(port: port)
            relay = nil
            relayedCard = nil
        }
        let context = try await PCSCContext()
        defer { Task { await context.release() } }
        let process = self.process
        let reader = self.reader
        do {
            try await Wait.until("pcscd reporting vicc's card in \(reader)", timeout: deadline) {
                guard process.isRunning else {
                    throw Unavailable(description: "vicc exited (status \(process.exitStatus ?? -1)) before its card was in \(reader): \(process.stderr.suffix(2000))")
                }
                return try await context.states(of: [reader]).first?.hasCard == true
            }
        } catch {
            process.kill(SIGKILL)
            relayedCard?.remove()
            throw error
        }
        atr = try await context.states(of: [reader]).first?.atr ?? []
    }

    /// Behind the relay: the instruction byte (INS) of every command APDU forwarded to `vicc` so far, in order
    /// (`A4` SELECT, `B0` READ BINARY, `20` VERIFY…); nil when `vicc` is connected to the slot itself.
    public var relayedInstructions: [UInt8]? { relay?.instructions }

    /// Ends `vicc`, and the relay if any; waits until pcscd reports the slot empty.
    ///
    /// With SIGKILL: its connection closes with it, and it has nothing else to clean up. (Foundation starts a child
    /// with the signal mask of the thread that started it, and the test's threads block SIGINT and SIGTERM: `vicc`
    /// would never see them.)
    public func stop(deadline: Duration = .seconds(10)) async throws {
        relayedCard?.remove()
        process.kill(SIGKILL)
        _ = try await process.wait(timeout: deadline)
        relay?.close()
        let context = try await PCSCContext()
        defer { Task { await context.release() } }
        try await context.waitForCard(in: reader, present: false, deadline: deadline)
    }

    deinit {
        relayedCard?.remove()
        process.kill(SIGKILL)
        relay?.close()
    }

    /// `PYTHONPATH` for Debian's `vicc`: its module folder when Python would not find it, and a folder in `shimIn`
    /// where `Crypto` is PyCryptodome's `Cryptodome` when no `Crypto` package is installed.
    static func pythonPath(shimIn folder: TemporaryFolder) throws -> String {
        let fm = FileManager.default
        var paths: [String] = []
        let dist = "/usr/lib/python3/dist-packages"
        if !fm.fileExists(atPath: "\(dist)/virtualsmartcard/VirtualSmartcard.py") {
            let debian = "/usr/lib/python3/site-packages/virtualsmartcard"
            guard fm.fileExists(atPath: "\(debian)/virtualsmartcard/VirtualSmartcard.py") else {
                throw Unavailable(description: "vicc's Python module virtualsmartcard is missing: install the Debian package python3-virtualsmartcard")
            }
            paths.append(debian)
        }
        if !fm.fileExists(atPath: "\(dist)/Crypto") {
            guard fm.fileExists(atPath: "\(dist)/Cryptodome") else {
                throw Unavailable(description: "vicc needs PyCrypto's Crypto package: install the Debian package python3-pycryptodome")
            }
            let shim = folder.path("python")
            try fm.createDirectory(atPath: shim, withIntermediateDirectories: true)
            try fm.createSymbolicLink(atPath: "\(shim)/Crypto", withDestinationPath: "\(dist)/Cryptodome")
            paths.insert(shim, at: 0)
        }
        return paths.joined(separator: ":")
    }
}

/// The relay between a ``VirtualTestCard`` and `vicc`: plays the vpcd driver's side of vpcd's protocol for `vicc`
/// (a 2-byte big-endian length, then the message; a 1-byte message is a control, `02` a reset), forwarding each
/// command APDU and returning `vicc`'s answer. Called on the slot's thread, one APDU at a time.
final class ViccRelay: VirtualCardResponder, Sendable {
    private let fd: Mutex<Int32>
    private let log = Mutex<[UInt8]>([])

    init(socket: Int32) { fd = Mutex(socket) }

    /// The INS byte of every command forwarded.
    var instructions: [UInt8] { log.withLock { $0 } }

    func respond(to command: [UInt8]) -> VirtualTestCard.Reply {
        if command.count >= 2 { log.withLock { $0.append(command[1]) } }
        return fd.withLock { fd -> VirtualTestCard.Reply in
            guard fd >= 0, Self.send(command, on: fd), let answer = Self.receive(on: fd), answer.count >= 2 else { return .remove }
            return .response(answer)
        }
    }

    func reset() {
        fd.withLock { fd in _ = fd >= 0 && Self.send([0x02], on: fd) }
    }

    func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }

    private static func send(_ message: [UInt8], on fd: Int32) -> Bool {
        let framed = [UInt8(message.count >> 8), UInt8(message.count & 0xFF)] + message
        var sent = 0
        while sent < framed.count {
            let n = framed[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    private static func receive(on fd: Int32) -> [UInt8]? {
        guard let header = read(2, on: fd) else { return nil }
        return read(Int(header[0]) << 8 | Int(header[1]), on: fd)
    }

    private static func read(_ count: Int, on fd: Int32) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = bytes[got...].withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            got += n
        }
        return bytes
    }

    /// A loopback TCP listener `vicc` connects to (`vicc -H 127.0.0.1 -P port`).
    final class Listener: Sendable {
        let fd: Int32
        let port: UInt16

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw ViccCard.Unavailable(description: "relay for vicc: socket: \(String(cString: strerror(errno)))") }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0, listen(fd, 1) == 0 else {
                let error = String(cString: strerror(errno))
                Glibc.close(fd)
                throw ViccCard.Unavailable(description: "relay for vicc: bind/listen on 127.0.0.1: \(error)")
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            self.fd = fd
            port = UInt16(bigEndian: address.sin_port)
        }

        /// Waits (blocking, at most `timeout`, while `alive` says `vicc` runs) for `vicc` to connect; returns the
        /// connection. Closes the listener.
        func accept(timeout: Duration, while alive: () -> Bool) throws -> Int32 {
            defer { Glibc.close(fd) }
            let end = ContinuousClock.now + timeout
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&poller, 1, 100) != 1 {
                guard alive() else { throw ViccCard.Unavailable(description: "vicc exited before connecting to the relay on 127.0.0.1:\(port)") }
                guard ContinuousClock.now < end else {
                    throw ViccCard.Unavailable(description: "vicc did not connect to the relay on 127.0.0.1:\(port) within \(timeout)")
                }
            }
            let client = Glibc.accept(fd, nil, nil)
            guard client >= 0 else { throw ViccCard.Unavailable(description: "relay for vicc: accept: \(String(cString: strerror(errno)))") }
            return client
        }
    }
}
