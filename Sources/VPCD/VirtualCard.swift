/// A card that a ``VirtualSlot`` presents to the vpcd driver: an ATR, power controls and APDU processing.
public protocol VirtualCard: AnyObject, Sendable {
    /// The answer to reset (1-33 bytes).
    var atr: [UInt8] { get }
    /// Cold reset: volatile state cleared. Returns the ATR.
    @discardableResult func powerOn() -> [UInt8]
    /// Power cut: volatile state cleared.
    func powerOff()
    /// Warm reset: volatile state cleared. Returns the ATR.
    @discardableResult func reset() -> [UInt8]
    /// Processes a command APDU and returns the response (at least SW1 SW2).
    func process(_ command: [UInt8]) -> [UInt8]
}
