/// A failure a ``VirtualSlot`` injects between the reader and the card, as seen in the field.
public enum Fault: Sendable, Hashable, CustomStringConvertible {
    /// The card answers `apdus` more command APDUs, then is pulled out while the next one is in flight: that
    /// one gets no answer, the connection closes and the reader reports the card removed. It stays out until
    /// inserted again.
    case removeAfter(apdus: Int)
    /// The card stops answering command APDUs (the reader waits) until the fault is cleared or the card removed.
    case mute
    /// Every command APDU is answered after `milliseconds`.
    case slow(milliseconds: Int)
    /// The next `count` command APDUs get a one-byte answer (not a response APDU): a transmission error.
    case communicationError(count: Int)

    public var description: String {
        switch self {
        case .removeAfter(let n): "removal after \(n) APDU(s)"
        case .mute: "mute card"
        case .slow(let ms): "slow card (\(ms) ms per APDU)"
        case .communicationError(let n): "communication error on the next \(n) APDU(s)"
        }
    }
}
