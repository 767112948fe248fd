import ISO7816
import PCSC
import TestSupport

/// The ATR of a carte Vitale 2: direct convention, T=0 only.
let vitale2ATR: [UInt8] = [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00]

/// A leased test reader, a context, and the name of the reader's slot 0.
struct Rig {
    let lease: TestReaderLease
    let context: PCSCContext
    var reader: String { lease.readerName(slot: 0) }
    var emptySlot: String { lease.readerName(slot: 1) }

    static func make() async throws -> Rig {
        let lease = try await TestReaders.lease()
        let context = try await PCSCContext()
        try await context.waitForReader(lease.readerName(slot: 0))
        return Rig(lease: lease, context: context)
    }

    /// Inserts a virtual card in slot 0 and waits until pcscd reports it.
    func insert(
        _ responder: any VirtualCardResponder = TestApplet(), atr: [UInt8] = vitale2ATR, removeDuringCommand: Int? = nil
    ) async throws -> VirtualTestCard {
        let card = try await VirtualTestCard(
            port: lease.slot0Port, atr: atr, responder: responder, removeDuringCommand: removeDuringCommand)
        try await context.waitForCard(in: reader)
        return card
    }

    /// Removes `card` and waits until pcscd reports the slot empty, so the next test finds it empty.
    func pull(_ card: VirtualTestCard) async throws {
        card.remove()
        await card.waitUntilRemoved()
        try await context.waitForCard(in: reader, present: false)
    }
}
