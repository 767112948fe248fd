import Emulator
import Foundation
import Logging
import VPCD
#if canImport(Glibc)
import Glibc
#endif

/// What a ``VirtualTestCard`` does with the APDUs it receives.
public protocol VirtualCardResponder: Sendable {
    /// The answer to one command APDU.
    func respond(to command: [UInt8]) -> VirtualTestCard.Reply
    /// Forgets volatile state (the reader powered the card off or reset it).
    func reset()
}

/// A minimal virtual card for integration tests: a ``VirtualCardResponder`` in a single-connection
/// `VPCD.VirtualSlot` connected to one slot of a test reader (the card is then "inserted").
///
/// The slot speaks the vpcd protocol (controls, framing, socket latency settings); closing the connection
/// "removes" the card: on demand (``remove()``), when the responder says so, on receiving the
/// `removeDuringCommand`-th APDU (without answering it, the slot's `removeAfter` fault), or when the driver
/// closes it (pcscd restarting). The card is never presented again.
public final class VirtualTestCard: Sendable {
    /// A responder's answer.
    public enum Reply: Sendable {
        /// The response APDU (data then SW1 SW2).
        case response([UInt8])
        /// Close the connection without answering, as if the card were pulled out during the command.
        case remove
    }

    /// The slot did not connect to the driver before the deadline.
    public struct ConnectError: Error, CustomStringConvertible {
        public var port: UInt16
        public var errno: Int32
        public var description: String { "virtual card: cannot connect to vpcd on 127.0.0.1:\(port): \(String(cString: strerror(errno)))" }
    }

    public let port: UInt16
    public let atr: [UInt8]
    private let removeDuringCommand: Int?
    private let slot: VirtualSlot

    /// Connects a card to the vpcd slot listening on `port`, retrying until `deadline` while the driver is not
    /// listening yet (pcscd starting or restarting). Returns once connected.
    public init(
        port: UInt16, atr: [UInt8], responder: any VirtualCardResponder, removeDuringCommand: Int? = nil,
        deadline: Duration = .seconds(15)
    ) async throws {
        precondition((1...33).contains(atr.count), "an ATR has 1 to 33 bytes")
        self.port = port
        self.atr = atr
        self.removeDuringCommand = removeDuringCommand
        var logger = Logger(label: "openvitale.test-card")
        logger.logLevel = .error
        let slot = VirtualSlot(mode: .connect(port: port), minimumAbsence: .zero, singleConnection: true, logger: logger)
        self.slot = slot
        if let removeDuringCommand { slot.inject(.removeAfter(apdus: max(0, removeDuringCommand - 1))) }
        slot.insert(ResponderCard(atr: atr, responder: responder, slot: slot))
        try slot.start()
        guard await slot.wait(timeout: deadline, until: { $0.connections > 0 }) else {
            slot.stop()
            throw ConnectError(port: port, errno: ETIMEDOUT)
        }
    }

    /// Pulls the card out: closes the connection (the driver then reports the slot empty).
    public func remove() {
        slot.remove()
    }

    /// How many command APDUs the card received (the one it was pulled out during included).
    public var commandCount: Int {
        let status = slot.status
        let pulledByFault = removeDuringCommand != nil && !status.faults.contains { if case .removeAfter = $0 { true } else { false } }
        return status.apdusSinceInsertion + (pulledByFault ? 1 : 0)
    }

    /// How many times the driver asked for the ATR on the connection (it polls presence this way).
    public var atrRequestCount: Int { slot.status.atrRequests }

    /// True once the connection is closed.
    public var isRemoved: Bool { Self.removed(slot.status) }

    /// Waits (on a thread of its own) until the connection is closed; false if `deadline` passed first.
    @discardableResult
    public func waitUntilRemoved(deadline: Duration = .seconds(10)) async -> Bool {
        await slot.wait(timeout: deadline, until: Self.removed)
    }


    @Sendable private static func removed(_ status: VirtualSlot.Status) -> Bool {
        !status.isCardPresent && !status.isConnected
    }
}

/// A ``VirtualCardResponder`` presented as a `VirtualCard`: a `.remove` reply takes the card out of its slot
/// (the connection is shut down, so nothing is answered).
private final class ResponderCard: VirtualCard {
    let atr: [UInt8]
    private let responder: any VirtualCardResponder
    private let slot: VirtualSlot

    init(atr: [UInt8], responder: any VirtualCardResponder, slot: VirtualSlot) {
        self.atr = atr
        self.responder = responder
        self.slot = slot
    }

    func powerOn() -> [UInt8] { atr }

    func powerOff() { responder.reset() }

    func reset() -> [UInt8] {
        responder.reset()
        return atr
    }

    func process(_ command: [UInt8]) -> [UInt8] {
        switch responder.respond(to: command) {
        case .response(let bytes):
            return bytes
        case .remove:
            slot.remove()
            return []
        }
    }
}

/// The emulated card OS is what the tests' virtual slots present (VPCD itself knows no card OS).
extension EmulatedCard: VirtualCard {}
