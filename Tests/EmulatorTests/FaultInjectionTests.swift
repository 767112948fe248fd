import Emulator
import Foundation
import ISO7816
import PCSC
import Testing
import TestSupport
import VPCD

/// Faults injected by a VirtualSlot as a PC/SC application sees them through pcscd (the project's PCSC module).
@Suite("Fault injection through pcscd", .serialized)
struct FaultInjectionTests {
    struct Bench {
        let lease: TestReaderLease
        let slot: VirtualSlot
        let context: PCSCContext
        var reader: String { "\(lease.friendlyName) 00 00" }

        /// Inserts `fixture` and connects once pcscd has polled it.
        func insertAndConnect(_ fixture: String) async throws -> PCSCCard {
            slot.insert(try Fixtures.card(fixture))
            #expect(await slot.wait(timeout: .seconds(20)) { $0.isConnected && $0.atrRequests >= 1 })
            let card = try await eventually(timeout: .seconds(20)) { try? await context.connect(to: reader, protocols: .t0) }
            return try #require(card)
        }

        /// Takes the card out and gives the reader back (synchronous, for `defer`; the context is released
        /// when the bench is dropped).
        func stop() {
            slot.stop()
            lease.release()
        }
    }

    static func bench() async throws -> Bench {
        let lease = try await TestReaders.lease()
        let slot = VirtualSlot(mode: .connect(port: lease.slot0Port))
        try slot.start()
        return Bench(lease: lease, slot: slot, context: try await PCSCContext())
    }

    static let selectVitale = try! CommandAPDU.selectApplication(CardProfiles.vitaleAID)
    static let readNIR = try! CommandAPDU.readBinary(sfi: 2, ne: 256)

    @Test("Removal in the middle of a read: the reader gets removedCard; the card answers again once reinserted")
    func removalMidRead() async throws {
        let bench = try await Self.bench()
        defer { bench.stop() }
        let card = try await bench.insertAndConnect("family.json")
        // SELECT (61XX) and GET RESPONSE go through; the READ BINARY is in flight when the card is pulled out.
        _ = try await card.sendExpectingSuccess(Self.selectVitale)
        bench.slot.inject(.removeAfter(apdus: 0))
        await #expect(throws: PCSCError.removedCard) { _ = try await card.transmit(Self.readNIR.bytes) }
        #expect(bench.slot.status.isCardPresent == false)

        let again = try await bench.insertAndConnect("family.json")
        _ = try await again.sendExpectingSuccess(Self.selectVitale)
        let nirs = try await again.sendExpectingSuccess(Self.readNIR)
        #expect(try persons(nirs).count == 4)
    }

    @Test("A communication error gives a truncated response; the next exchange works")
    func communicationError() async throws {
        let bench = try await Self.bench()
        defer { bench.stop() }
        let card = try await bench.insertAndConnect("single-insured.json")
        bench.slot.inject(.communicationError(count: 1))
        await #expect(throws: PCSCError.truncatedResponse) { _ = try await card.transmit(Self.readNIR.bytes) }
        #expect(try await card.transmit(hex("00A4000C023F00")) == [0x90, 0x00])
    }

    @Test("A mute card holds the exchange until it is removed")
    func muteCard() async throws {
        let bench = try await Self.bench()
        defer { bench.stop() }
        let card = try await bench.insertAndConnect("single-insured.json")
        bench.slot.inject(.mute)
        let exchange = Task { try await card.transmit(hex("00A4000C023F00")) }
        #expect(await bench.slot.wait(timeout: .seconds(10)) { $0.isHoldingAPDU })
        bench.slot.remove()
        let result = await exchange.result
        #expect(throws: PCSCError.self) { try result.get() }
        bench.slot.clearFaults()
    }

    @Test("A slow card answers after its delay")
    func slowCard() async throws {
        let bench = try await Self.bench()
        defer { bench.stop() }
        let card = try await bench.insertAndConnect("single-insured.json")
        bench.slot.inject(.slow(milliseconds: 300))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await card.transmit(hex("00A4000C023F00")) == [0x90, 0x00])
        #expect(clock.now - start >= .milliseconds(300))
        #expect(bench.slot.status.faults == [.slow(milliseconds: 300)])
    }
}
