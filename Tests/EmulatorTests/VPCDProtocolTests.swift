import Emulator
import Foundation
import Testing
import VPCD
#if canImport(Glibc)
import Glibc
#endif

/// The vpcd protocol spoken by a VirtualSlot in listen (reversed) mode, with the test playing the driver.
@Suite("vpcd protocol")
struct VPCDProtocolTests {
    /// A minimal driver side: blocking TCP client, length-prefixed messages.
    final class Driver {
        let fd: Int32

        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard rc == 0 else { close(fd); throw POSIXError(.ECONNREFUSED) }
        }

        deinit { close(fd) }

        func send(_ payload: [UInt8]) {
            let message = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
            _ = message.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, message.count, Int32(MSG_NOSIGNAL)) }
        }

        /// The next message, or nil when the card closed the connection (card removed).
        func receive() -> [UInt8]? {
            func read(_ count: Int) -> [UInt8]? {
                var out = [UInt8](repeating: 0, count: count)
                var got = 0
                while got < count {
                    let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
                    if n <= 0 { return nil }
                    got += n
                }
                return out
            }
            guard let header = read(2) else { return nil }
            let length = Int(header[0]) << 8 | Int(header[1])
            return length == 0 ? [] : read(length)
        }

        func transmit(_ apdu: [UInt8]) -> [UInt8]? {
            send(apdu)
            return receive()
        }
    }

    @Test("Listen mode: ATR, power controls, APDUs, removal closes the connection, an empty slot refuses")
    func listenMode() async throws {
        let slot = VirtualSlot(mode: .listen(port: 0), minimumAbsence: .zero)
        try slot.start()
        defer { slot.stop() }
        let port = try #require(slot.listeningPort)
        let card = try Fixtures.card("cps-gp-secteur1.json")
        slot.insert(card)

        let driver = try Driver(port: port)
        driver.send([0x04])
        #expect(driver.receive() == card.atr)
        driver.send([0x01])
        #expect(driver.transmit(hex("00A4040C0BD2500000034F562D435053")) == [0x90, 0x00])
        #expect(driver.transmit(hex("002000010431323334")) == [0x90, 0x00])
        #expect(driver.transmit(hex("00200001")) == [0x90, 0x00])
        // Power off then on: the PIN is no longer verified.
        driver.send([0x00])
        driver.send([0x01])
        #expect(driver.transmit(hex("00200001")) == [0x63, 0xC3])
        driver.send([0x02])
        driver.send([0x04])
        #expect(driver.receive() == card.atr)
        #expect(await slot.wait(timeout: .seconds(5)) { $0.apdusSinceInsertion == 4 && $0.atrRequests == 2 })

        slot.remove()
        #expect(driver.receive() == nil)
        // Empty slot: the driver's next connection is closed at once.
        let again = try Driver(port: port)
        again.send([0x04])
        #expect(again.receive() == nil)
    }

    @Test("Connect mode: connects to the driver, and again after the driver goes away and comes back")
    func connectModeReconnects() async throws {
        // The test listens like the vpcd driver inside pcscd.
        let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(server) }
        var yes: Int32 = 1
        setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(server, $0, length); return getsockname(server, $0, &length) }
        }
        listen(server, 4)
        let port = UInt16(bigEndian: addr.sin_port)

        let slot = VirtualSlot(mode: .connect(port: port), minimumAbsence: .zero)
        try slot.start()
        defer { slot.stop() }
        slot.insert(try Fixtures.card("single-insured.json"))

        func acceptAndCheck() -> Bool {
            let client = accept(server, nil, nil)
            guard client >= 0 else { return false }
            defer { close(client) }
            let message: [UInt8] = [0x00, 0x01, 0x04]
            _ = message.withUnsafeBytes { send(client, $0.baseAddress, 3, Int32(MSG_NOSIGNAL)) }
            var reply = [UInt8](repeating: 0, count: 12)
            let n = reply.withUnsafeMutableBytes { recv(client, $0.baseAddress, 12, Int32(MSG_WAITALL)) }
            return n == 12 && Array(reply[2...]) == [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00]
        }
        #expect(acceptAndCheck())
        // The driver closed the connection (pcscd stopped): the slot connects again by itself.
        #expect(acceptAndCheck())
        #expect(await slot.wait(timeout: .seconds(5)) { $0.connections >= 2 })
    }
}
