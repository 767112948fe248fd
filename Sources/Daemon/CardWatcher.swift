import Foundation
import Logging
import ServiceLifecycle

/// Follows reader and card events (pcscd's, through ``Daemon``'s system watcher) and hands them to the
/// ``CardSlots``. Stops at graceful shutdown, closing the card connections.
struct CardWatcher: Service {
    let slots: CardSlots
    let events: (@Sendable () -> AsyncStream<SlotEvent>)?
    let logger: Logger

    func run() async throws {
        if let events {
            for await event in events().cancelOnGracefulShutdown() {
                await slots.handle(event)
            }
        } else {
            try? await gracefulShutdown()
        }
        await slots.close()
        logger.info("card watcher stopped")
    }
}
