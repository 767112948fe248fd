import CPS
import Emulator
import Foundation
import ISO7816
import PCSC
import Testing
import TestSupport
import VPCD
import Vitale

/// A leased test reader with a virtual card slot on its slot 0, behind the real pcscd.
final class PCSCBench: Sendable {
    let lease: TestReaderLease
    let slot: VirtualSlot
    let context: PCSCContext
    var readerName: String { "\(lease.friendlyName) 00 00" }

    init() async throws {
        lease = try await TestReaders.lease()
        slot = VirtualSlot(mode: .connect(port: lease.slot0Port))
        try slot.start()
        context = try await PCSCContext()
        try await context.waitForReader(readerName)
        // A card left by the previous user of the reader may still be seen until pcscd's next poll.
        try await context.waitForCard(in: readerName, present: false)
    }

    /// Puts a new card in the slot and waits until pcscd sees it.
    func present(_ card: EmulatedCard) async throws {
        if slot.currentCard != nil {
            slot.remove()
            try await context.waitForCard(in: readerName, present: false)
        }
        slot.insert(card)
        try await context.waitForCard(in: readerName)
    }

    func connect() async throws -> (PCSCCard, [UInt8]) {
        let card = try await context.connect(to: readerName)
        return (card, try await card.atr())
    }

    func close() async {
        slot.stop()
        await context.release()
        lease.release()
    }
}

@Suite("Vitale and CPS fixtures through pcscd", .serialized)
struct ThroughPCSCDTests {
    @Test func everyFixtureReadsThroughPCSCDAsInProcess() async throws {
        let bench = try await PCSCBench()
        defer { Task { await bench.close() } }
        for name in Fixtures.goodVitaleNames {
            let image = try Fixtures.image(name)
            try await bench.present(EmulatedCard(image: image))
            let (card, atr) = try await bench.connect()
            let read = try await VitaleReader().read(from: card, atr: atr)
            try await card.disconnect()
            try expectMatches(read, image)
            let files = try await VitaleReader().readFiles(from: EmulatedCard(image: image))
            #expect(bench.slot.status.apdusSinceInsertion == minimalAPDUCount(files), "\(name)")
        }
        for name in Fixtures.cpsNames {
            let image = try Fixtures.image(name)
            try await bench.present(EmulatedCard(image: image))
            let (card, atr) = try await bench.connect()
            let read = try await CPSSession(channel: card, atr: atr).read()
            try await card.disconnect()
            try expectMatches(read, image)
        }
        await bench.close()
    }

    @Test func errorsThroughPCSCD() async throws {
        let bench = try await PCSCBench()
        defer { Task { await bench.close() } }

        // Vitale 1 and corrupted identity file.
        try await bench.present(EmulatedCard(image: try Fixtures.image("vitale1.json")))
        var (card, atr) = try await bench.connect()
        await #expect(throws: VitaleError.legacyVitale1(atr: "3F 65 25 00 52 09 6A 90 00")) {
            try await VitaleReader().read(from: card, atr: atr)
        }
        try await bench.present(EmulatedCard(image: try Fixtures.image("corrupted-identity.json")))
        (card, atr) = try await bench.connect()
        await #expect {
            try await VitaleReader().read(from: card, atr: atr)
        } throws: { error in
            guard case VitaleError.corruptedTLV(.identity, _, _) = error else { return false }
            return true
        }
        try await bench.present(EmulatedCard(image: try Fixtures.image("wrong-nir-key.json")))
        (card, atr) = try await bench.connect()
        await #expect {
            try await VitaleReader().read(from: card, atr: atr)
        } throws: { error in
            guard case VitaleError.invalidNIR(_, _, .keyMismatch) = error else { return false }
            return true
        }

        // Card pulled out during the read: removed, and no partial result.
        try await bench.present(EmulatedCard(image: try Fixtures.image("family.json")))
        (card, atr) = try await bench.connect()
        bench.slot.inject(.removeAfter(apdus: 3))
        await #expect {
            try await VitaleReader().read(from: card, atr: atr)
        } throws: { error in
            guard case VitaleError.cardRemoved = error else { return false }
            return true
        }
        bench.slot.clearFaults()

        // A card that stops answering: declared mute after the APDU timeout, then pulled out.
        try await bench.present(EmulatedCard(image: try Fixtures.image("single-insured.json")))
        (card, atr) = try await bench.connect()
        bench.slot.inject(.mute)
        await #expect {
            try await VitaleReader(options: .init(apduTimeout: .milliseconds(500))).read(from: card, atr: atr)
        } throws: { error in
            guard case VitaleError.cardMute = error else { return false }
            return true
        }
        bench.slot.remove()
        try await bench.context.waitForCard(in: bench.readerName, present: false)
        bench.slot.clearFaults()

        // The same for a CPS: the session gives up after its APDU timeout, naming the exchange.
        try await bench.present(EmulatedCard(image: try Fixtures.image("cps-nurse.json")))
        (card, atr) = try await bench.connect()
        bench.slot.inject(.mute)
        let start = ContinuousClock.now
        await #expect(throws: CPSError.cardMute(step: "SELECT CPS application", timeout: .milliseconds(500))) {
            try await CPSSession(channel: card, atr: atr, apduTimeout: .milliseconds(500)).read()
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        bench.slot.remove()
        try await bench.context.waitForCard(in: bench.readerName, present: false)
        bench.slot.clearFaults()
        await bench.close()
    }
}
