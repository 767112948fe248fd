import Foundation
import ISO7816
import PCSC
import Testing
import TestSupport

@Suite("PC/SC binding through pcscd and the vpcd driver")
struct PCSCBindingTests {
    @Test func listsReadersAndTheirStates() async throws {
        let rig = try await Rig.make()
        let readers = try await rig.context.readers()
        #expect(readers.contains(rig.reader))
        #expect(readers.contains(rig.emptySlot))
        let states = try await rig.context.states(of: [rig.emptySlot])
        #expect(states.count == 1)
        #expect(states[0].flags.contains(.empty))
        #expect(!states[0].hasCard)
        #expect(states[0].atr.isEmpty)
    }

    @Test func eventsReportInsertionAndRemoval() async throws {
        let rig = try await Rig.make()
        let reader = rig.reader
        let port = rig.lease.slot0Port
        let seen = try await withDeadline(.seconds(20), "insertion and removal events") { () -> [ReaderEvent] in
            var seen: [ReaderEvent] = []
            var card: VirtualTestCard?
            defer { card?.remove() }
            for await event in ReaderEvents(wakeInterval: .milliseconds(500)) where event.reader == reader {
                seen.append(event)
                switch event {
                case .readerAdded:
                    // The watcher reported the (empty) reader: now insert the card.
                    card = try await VirtualTestCard(port: port, atr: vitale2ATR, responder: TestApplet())
                case .cardInserted:
                    card?.remove()
                case .cardRemoved:
                    return seen
                default:
                    break
                }
            }
            return seen
        }
        #expect(seen.first == .readerAdded(reader))
        #expect(seen.contains(.cardInserted(reader: reader, atr: vitale2ATR)))
        #expect(seen.last == .cardRemoved(reader: reader))
    }

    @Test func eventsEndPromptlyWhenTheTaskIsCancelled() async throws {
        let (started, startedContinuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            var count = 0
            for await _ in ReaderEvents(wakeInterval: .seconds(2)) {
                count += 1
                if count == 1 { startedContinuation.yield() }
            }
            return count
        }
        // The watcher has reported the readers present: it is (or is about to be) waiting in pcscd.
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        let clock = ContinuousClock()
        let cancelledAt = clock.now
        task.cancel()
        let count = try await withDeadline(.seconds(5), "the event sequence ending after cancellation") { await task.value }
        #expect(count >= 1)
        // SCardCancel ends a wait in progress at once; a cancel that comes first waits out one bounded wait.
        #expect(clock.now - cancelledAt < .milliseconds(2500))
    }

    @Test func breakingOutOfTheLoopStopsTheWatcher() async throws {
        let rig = try await Rig.make()
        for await event in ReaderEvents(wakeInterval: .milliseconds(500)) where event.reader == rig.reader { _ = event; break }
        // The iterator is gone: its watcher ends and releases its context; a new one starts fine.
        var again = ReaderEvents(wakeInterval: .milliseconds(500)).makeAsyncIterator()
        let first = await again.next()
        #expect(first != nil)
    }

    @Test func connectReadsTheATRAndTransmits() async throws {
        let rig = try await Rig.make()
        let applet = TestApplet()
        let virtual = try await rig.insert(applet)
        defer { virtual.remove() }
        let card = try await rig.context.connect(to: rig.reader)
        #expect(card.activeProtocol == .t0)
        let status = try await card.status()
        #expect(status.atr == vitale2ATR)
        #expect(status.readerNames == [rig.reader])
        #expect(status.activeProtocol == .t0)
        #expect(status.state.contains(.present))
        let atr = try ATR(bytes: try await card.atr())
        #expect(atr.protocols == [0])

        let reply = try await card.transmit([0x00, 0xB0, 0x00, 0x00, UInt8(applet.file.count)])
        #expect(reply == applet.file + [0x90, 0x00])
        let unknown = try await card.transmit([0x00, 0x12, 0x00, 0x00])
        #expect(unknown == [0x6D, 0x00])
        #expect(virtual.commandCount == 2)

        await #expect(throws: PCSCError.invalidParameter) { _ = try await card.transmit([0x04]) }
        #expect(virtual.commandCount == 2)

        try await card.disconnect()
        try await rig.pull(virtual)
    }

    @Test func t0LoopsRunThroughTheRealStack() async throws {
        let rig = try await Rig.make()
        let applet = TestApplet()
        let virtual = try await rig.insert(applet)
        defer { virtual.remove() }
        let card = try await rig.context.connect(to: rig.reader)

        // 6CXX: READ BINARY with Le 256 is resent with the file's length.
        let file = try await card.send(try CommandAPDU.readBinary(offset: 0, ne: 256))
        #expect(file.statusWord == .success)
        #expect(file.data == applet.file)

        // 61XX chains: 600 bytes in chunks of 128.
        let long = try await card.send(try CommandAPDU(ins: 0xCA, p1: 0, p2: 0, ne: 256))
        #expect(long.statusWord == .success)
        #expect(long.data == applet.longData)

        // Case 4 over T=0: the card answers the case-3 part with 61XX.
        let echo = try await card.send(try CommandAPDU(cla: 0x80, ins: 0xE0, p1: 0, p2: 0, data: [1, 2, 3, 4, 5], ne: 256))
        #expect(echo.data == [1, 2, 3, 4, 5])

        // Loops turned off: the raw answers.
        let raw = try await card.send(try CommandAPDU(ins: 0xCA, p1: 0, p2: 0, ne: 256), options: .raw)
        #expect(raw.statusWord == .bytesAvailable(0x80))
        #expect(raw.data.isEmpty)
        let rawLe = try await card.send(try CommandAPDU.readBinary(offset: 0, ne: 256), options: .raw)
        #expect(rawLe.statusWord == .wrongLe(UInt8(applet.file.count)))

        try await card.disconnect()
        try await rig.pull(virtual)
    }

    @Test func removalDuringATransactionIsATypedError() async throws {
        let rig = try await Rig.make()
        // The card closes its connection on receiving the third command, without answering it.
        let virtual = try await rig.insert(TestApplet(), removeDuringCommand: 3)
        defer { virtual.remove() }
        let card = try await rig.context.connect(to: rig.reader)
        let failure = try await withDeadline(.seconds(20), "a transaction interrupted by a removal") { () -> PCSCError? in
            do {
                try await card.withTransaction {
                    for _ in 0..<5 { _ = try await card.transmit([0x00, 0xB0, 0x00, 0x00, 23]) }
                }
                return nil
            } catch let error as PCSCError {
                return error
            }
        }
        #expect(failure == .removedCard, "got \(String(describing: failure))")
        #expect(virtual.commandCount == 3)
        #expect(virtual.isRemoved)
        // Later calls keep failing with a typed error, quickly.
        let next = try await withDeadline(.seconds(10), "a transmit after the removal") { () -> PCSCError? in
            do {
                _ = try await card.transmit([0x00, 0xB0, 0x00, 0x00, 23])
                return nil
            } catch let error as PCSCError {
                return error
            }
        }
        #expect(next?.isCardGone == true, "got \(String(describing: next))")
        try await rig.context.waitForCard(in: rig.reader, present: false)
        try? await card.disconnect()
    }

    @Test func exclusiveConnectionsAreReportedAndEnforced() async throws {
        let rig = try await Rig.make()
        let virtual = try await rig.insert()
        defer { virtual.remove() }
        let reader = rig.reader
        let context = rig.context
        let events = try await withDeadline(.seconds(20), "exclusive access events") { () -> [ReaderEvent] in
            var seen: [ReaderEvent] = []
            var exclusive: PCSCCard?
            for await event in ReaderEvents(wakeInterval: .milliseconds(500)) where event.reader == reader {
                seen.append(event)
                switch event {
                case .cardInserted:
                    exclusive = try await context.connect(to: reader, share: .exclusive)
                case .heldExclusively:
                    let other = try await PCSCContext()
                    await #expect(throws: PCSCError.sharingViolation) { _ = try await other.connect(to: reader) }
                    try await exclusive?.disconnect()
                case .exclusiveReleased:
                    return seen
                default:
                    break
                }
            }
            return seen
        }
        #expect(events.contains(.heldExclusively(reader: reader)))
        #expect(events.last == .exclusiveReleased(reader: reader))
        try await rig.pull(virtual)
    }

    @Test func reconnectDisconnectAndStaleHandles() async throws {
        let rig = try await Rig.make()
        let applet = TestApplet()
        let virtual = try await rig.insert(applet)
        defer { virtual.remove() }
        let card = try await rig.context.connect(to: rig.reader, protocols: .t0)
        // A pending GET RESPONSE is forgotten when the card is reset.
        #expect(try await card.transmit([0x00, 0xCA, 0x00, 0x00, 0x00]) == [0x61, 0x80])
        try await card.reconnect(initialization: .reset)
        #expect(card.activeProtocol == .t0)
        #expect(try await card.transmit([0x00, 0xC0, 0x00, 0x00, 0x80]) == [0x69, 0x85])
        try await card.disconnect(.reset)
        try await card.disconnect()
        await #expect(throws: PCSCError.invalidHandle) { _ = try await card.transmit([0x00, 0xB0, 0x00, 0x00, 23]) }
        await #expect(throws: PCSCError.invalidHandle) { _ = try await card.status() }
        try await rig.pull(virtual)
    }

    @Test func errorsAreTypedAndNamed() async throws {
        let rig = try await Rig.make()
        await #expect(throws: PCSCError.unknownReader) { _ = try await rig.context.connect(to: "No Such Reader 00 00") }
        do {
            _ = try await rig.context.connect(to: rig.emptySlot)
            Issue.record("connected to an empty slot")
        } catch {
            #expect(error == .noSmartcard)
            #expect(error.name == "SCARD_E_NO_SMARTCARD")
            #expect(error.description == "SCARD_E_NO_SMARTCARD: the operation requires a card, but no card is in the reader")
            #expect(error.isCardGone)
        }
        #expect(PCSCError.removedCard.name == "SCARD_W_REMOVED_CARD")
        #expect(PCSCError(rawValue: 0x8010_0999).name == "SCARD error 0x80100999")
        let caught: Bool
        do { throw PCSCError.removedCard } catch PCSCError.removedCard { caught = true } catch { caught = false }
        #expect(caught)
    }

    @Test func controlReachesTheReader() async throws {
        let rig = try await Rig.make()
        // A direct connection needs no card. The vpcd driver implements no control codes: whatever it answers
        // must come back as data or as a named pcsc-lite error.
        let reader = try await rig.context.connect(to: rig.emptySlot, share: .direct, protocols: .undefined)
        #expect(reader.activeProtocol == nil)
        do {
            let features = try await reader.control(PCSCCard.controlCode(3400))
            #expect(features.count % 6 == 0)
        } catch {
            #expect(!error.name.hasPrefix("SCARD error"), "unnamed error \(error)")
        }
        try await reader.disconnect()
    }

    @Test func releasedContextRefusesCalls() async throws {
        let context = try await PCSCContext()
        _ = try await context.readers()
        await context.release()
        await #expect(throws: PCSCError.invalidHandle) { _ = try await context.readers() }
    }

    @Test func manyTransmitsInARow() async throws {
        let rig = try await Rig.make()
        let applet = TestApplet()
        let virtual = try await rig.insert(applet)
        defer { virtual.remove() }
        let card = try await rig.context.connect(to: rig.reader)
        // With TCP_QUICKACK re-armed by the virtual card this takes tens of milliseconds (about 8 s without it);
        // timing is for benchmarks, this checks that every exchange comes back whole.
        for _ in 0..<200 {
            #expect(try await card.transmit([0x00, 0xB0, 0x00, 0x00, 23]) == applet.file + [0x90, 0x00])
        }
        #expect(virtual.commandCount == 200)
        try await card.disconnect()
        try await rig.pull(virtual)
    }
}
