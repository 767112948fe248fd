import Foundation
import ISO7816
import PCSC
import Testing
import TestSupport

/// The one test that restarts pcscd. It waits until no other test (in any process) holds a test reader and keeps
/// new leases waiting until it is done, so other tests never see the restart.
@Suite("pcscd restart")
struct PCSCDaemonRestartTests {
    @Test(
        "a context open across a pcscd restart recovers on the next call",
        .enabled(if: PCSCDaemon.canRestart, "the running pcscd was not started by Hardware/pcscd-ctl: it is not ours to restart")
    )
    func contextRecoversAfterRestart() async throws {
        try await PCSCDaemon.withExclusiveUse { lease in
            let reader = lease.readerName(slot: 0)
            let context = try await PCSCContext(recoveryTimeout: .seconds(10))
            try await context.waitForReader(reader)

            // A watcher running across the restart reports the loss and the return of the service.
            let watcher = Task { () -> [ReaderEvent] in
                var seen: [ReaderEvent] = []
                for await event in ReaderEvents(wakeInterval: .milliseconds(500)) {
                    if event.reader == nil { seen.append(event) }
                    if event == .serviceRestored { break }
                }
                return seen
            }
            var probe = ReaderEvents().makeAsyncIterator()
            _ = await probe.next()  // pcscd is up and watched

            // A card connected before the restart.
            let before = try await VirtualTestCard(port: lease.slot0Port, atr: vitale2ATR, responder: TestApplet())
            defer { before.remove() }
            try await context.waitForCard(in: reader)
            let oldCard = try await context.connect(to: reader)
            _ = try await oldCard.transmit([0x00, 0xB0, 0x00, 0x00, 23])

            try await onOwnThread { try PCSCDaemon.restart() }

            // The old connection is gone with the old pcscd: a typed error, not a crash or a hang.
            let stale = try await withDeadline(.seconds(20), "a transmit on a connection from before the restart") {
                () -> PCSCError? in
                do {
                    _ = try await oldCard.transmit([0x00, 0xB0, 0x00, 0x00, 23])
                    return nil
                } catch let error as PCSCError {
                    return error
                }
            }
            #expect(stale != nil)
            #expect(await before.waitUntilRemoved())

            // The next call on the old context recovers.
            try await withDeadline(.seconds(20), "the first call after the restart") {
                _ = try await context.readers()
            }
            try await context.waitForReader(reader)

            // Cards work again on the same context.
            let virtual = try await VirtualTestCard(port: lease.slot0Port, atr: vitale2ATR, responder: TestApplet())
            defer { virtual.remove() }
            try await context.waitForCard(in: reader)
            let card = try await context.connect(to: reader)
            let reply = try await card.send(try CommandAPDU.readBinary(offset: 0, ne: 256))
            #expect(reply.statusWord == .success)
            try await card.disconnect()
            virtual.remove()
            try await context.waitForCard(in: reader, present: false)

            let events = try await withDeadline(.seconds(20), "the watcher seeing pcscd come back") { await watcher.value }
            #expect(events.count >= 2)
            if case .serviceLost = events.first {} else { Issue.record("expected serviceLost first, got \(events)") }
            #expect(events.last == .serviceRestored)
        }
    }
}
