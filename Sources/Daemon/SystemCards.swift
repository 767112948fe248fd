import Foundation
import ISO7816
import PCSC
import Synchronization

extension Daemon {
    /// The card connector of the system: pcscd, through the PCSC binding.
    static func systemCardConnector() -> any CardConnector { PCSCConnector() }

    /// pcscd's reader and card events (its own context and thread; reconnects after pcscd restarts).
    static func systemSlotEvents() -> (@Sendable () -> AsyncStream<SlotEvent>)? {
        {
            let (stream, continuation) = AsyncStream.makeStream(of: SlotEvent.self)
            let task = Task {
                for await event in ReaderEvents(wakeInterval: .milliseconds(500)) {
                    if Task.isCancelled { break }
                    switch event {
                    case .readerAdded(let r): continuation.yield(.readerAdded(r))
                    case .readerRemoved(let r): continuation.yield(.readerRemoved(r))
                    case .cardInserted(let r, let atr): continuation.yield(.cardInserted(reader: r, atr: atr))
                    case .cardRemoved(let r): continuation.yield(.cardRemoved(reader: r))
                    case .cardMute(let r): continuation.yield(.cardMute(reader: r))
                    case .heldExclusively, .exclusiveReleased: break
                    case .serviceLost(let e): continuation.yield(.serviceLost(e.name))
                    case .serviceRestored: continuation.yield(.serviceRestored)
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
            return stream
        }
    }
}

/// Connects to cards through pcscd: one PC/SC context for card I/O (the watcher has its own), established on
/// first use and again after pcscd went away.
final class PCSCConnector: CardConnector {
    private let context = Mutex<PCSCContext?>(nil)

    func currentContext() async throws -> PCSCContext {
        if let c = context.withLock({ $0 }) { return c }
        let c = try await PCSCContext(recoveryTimeout: .seconds(2))
        return context.withLock { context in
            if let established = context { return established }  // another connection established one meanwhile
            context = c
            return c
        }
    }

    func connect(reader: String) async throws -> any CardConnection {
        let context = try await currentContext()
        let card = try await context.connect(to: reader, share: .shared, protocols: .any)
        return Connection(card: card)
    }

    func reset() async {
        let old = context.withLock { context -> PCSCContext? in
            let c = context
            context = nil
            return c
        }
        await old?.release()
    }

    struct Connection: CardConnection {
        let card: PCSCCard
        var channel: any CardChannel { card }

        func exclusive<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
            try await card.withTransaction { try await body() }
        }

        func disconnect(reset: Bool) async {
            try? await card.disconnect(reset ? .reset : .leave)
        }
    }
}
