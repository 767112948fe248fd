import Foundation

extension Daemon {
    /// The card connector of the system (pcscd); nil until the PCSC binding is in the build.
    static func systemCardConnector() -> any CardConnector { UnavailableCards() }
    /// The reader and card events of the system (pcscd).
    static func systemSlotEvents() -> (@Sendable () -> AsyncStream<SlotEvent>)? { nil }
}

/// No PC/SC in this build: connecting fails plainly.
struct UnavailableCards: CardConnector {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "PC/SC is not available in this build" }
    }
    func connect(reader: String) async throws -> any CardConnection { throw Unavailable() }
    func reset() async {}
}
