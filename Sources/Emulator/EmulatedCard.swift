import ISO7816
import Synchronization

/// An emulated smart card: an ATR and a ``CardOS``, safe to share between threads, usable in-process as a
/// ``CardChannel`` or behind pcscd through the `VPCD` module.
public final class EmulatedCard: CardChannel, Sendable {
    /// Why an in-process exchange failed.
    public enum TransmitError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The card is powered off (call ``EmulatedCard/powerOn()``).
        case unpowered
        public var description: String { "the emulated card is powered off" }
    }

    private struct State: Sendable {
        var os: CardOS
        var powered = true
        var commandCount = 0
    }

    /// The answer to reset.
    public let atr: [UInt8]
    /// The image the card was built from, when it was.
    public let image: CardImage?
    private let state: Mutex<State>

    /// A card from an ATR and an operating system state.
    public init(atr: [UInt8], os: CardOS, image: CardImage? = nil) {
        self.atr = atr
        self.image = image
        self.state = Mutex(State(os: os))
    }

    /// The card described by `image` (Vitale 2, Vitale 1 or CPS profile).
    public convenience init(image: CardImage) {
        self.init(atr: image.atr, os: CardProfiles.operatingSystem(for: image), image: image)
    }

    /// Processes one command APDU whatever the power state (the vpcd driver powers the card itself) and
    /// returns the response. Never traps.
    public func process(_ command: [UInt8]) -> [UInt8] {
        state.withLock { state in
            state.commandCount += 1
            return state.os.process(command)
        }
    }

    /// In-process transport: processes the command, or throws ``TransmitError/unpowered``.
    public func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        try state.withLock { state throws(TransmitError) -> [UInt8] in
            guard state.powered else { throw .unpowered }
            state.commandCount += 1
            return state.os.process(command)
        }
    }

    /// Cuts the power: volatile state is lost.
    public func powerOff() {
        state.withLock { state in
            state.powered = false
            state.os.resetVolatileState()
        }
    }

    /// Powers the card (a cold reset) and returns its ATR.
    @discardableResult
    public func powerOn() -> [UInt8] {
        state.withLock { state in
            state.powered = true
            state.os.resetVolatileState()
        }
        return atr
    }

    /// A warm reset: volatile state is lost, the card stays powered. Returns the ATR.
    @discardableResult
    public func reset() -> [UInt8] { powerOn() }

    /// True while powered.
    public var isPowered: Bool { state.withLock { $0.powered } }

    /// Command APDUs processed since the card was made.
    public var commandCount: Int { state.withLock { $0.commandCount } }

    /// Tries left on the PIN, nil for a card without PIN.
    public var pinTriesLeft: Int? { state.withLock { $0.os.pin?.triesLeft } }

    /// True while the PIN is verified (until power off or reset).
    public var isPINVerified: Bool { state.withLock { $0.os.pinVerified } }
}
