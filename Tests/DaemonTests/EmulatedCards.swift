import Daemon
import Emulator
import Foundation
import ISO7816
import Synchronization
import TestSupport

/// Emulated cards connected in-process (no pcscd): the unit-test stand-in for the readers. The integration
/// tests go through pcscd and the virtual reader driver instead.
final class InProcessReaders: CardConnector {
    private let cards = Mutex<[String: EmulatedCard]>([:])
    let stream: AsyncStream<SlotEvent>
    private let continuation: AsyncStream<SlotEvent>.Continuation

    init(readers: [String]) {
        (stream, continuation) = AsyncStream.makeStream(of: SlotEvent.self)
        for r in readers { continuation.yield(.readerAdded(r)) }
    }

    var events: @Sendable () -> AsyncStream<SlotEvent> { { [stream] in stream } }

    func insert(_ image: CardImage, in reader: String) {
        let card = EmulatedCard(image: image)
        _ = card.powerOn()
        cards.withLock { $0[reader] = card }
        continuation.yield(.cardInserted(reader: reader, atr: card.atr))
    }

    func remove(from reader: String) {
        cards.withLock { $0[reader]?.powerOff(); $0[reader] = nil }
        continuation.yield(.cardRemoved(reader: reader))
    }

    /// Sends a raw event (reader unplugged, pcscd lost …).
    func send(_ event: SlotEvent) { continuation.yield(event) }

    /// The card comes back after pcscd or the reader came back (powered again: PIN no longer verified).
    func reappear(in reader: String) {
        guard let card = card(in: reader) else { return }
        _ = card.reset()
        continuation.yield(.cardInserted(reader: reader, atr: card.atr))
    }

    func card(in reader: String) -> EmulatedCard? { cards.withLock { $0[reader] } }

    func connect(reader: String) async throws -> any CardConnection {
        guard let card = card(in: reader) else { throw NoCard() }
        return Connection(card: card)
    }

    func reset() async {}

    struct NoCard: Error {}

    struct Connection: CardConnection {
        let card: EmulatedCard
        var channel: any CardChannel { card }
        func exclusive<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T { try await body() }
        func disconnect(reset: Bool) async { if reset { _ = card.reset() } }
    }
}

/// The card images of `Fixtures/cards`.
enum Fixture {
    static func image(_ name: String) throws -> CardImage {
        try CardImage.load(from: RepositoryPaths.fixtures.appendingPathComponent("cards/\(name).json"))
    }

    /// The CPS image's signing key, to register the practitioner with the gateway.
    static func cpsKey(_ image: CardImage) -> [UInt8] {
        guard case .cps(let cps) = image.content else { return [] }
        return cps.signingKey
    }
}
