/// What a transport failure means for the card on the other side, so that decoders which only know
/// ``CardChannel`` can tell a removed card from a mute one without knowing the transport (PC/SC, in-process).
public enum CardTransportFailure: String, Hashable, Sendable {
    /// The card left the reader (or lost power) before or during the exchange.
    case cardRemoved
    /// The card is present but does not answer (unresponsive, mute, or no answer before a deadline).
    case cardMute
    /// The reader went away or cannot be used.
    case readerUnavailable
    /// The service carrying the exchange (pcscd) is not running or was lost.
    case serviceUnavailable
    /// The card was reset or power-cycled under this connection (by another program, or by pcscd cleaning up
    /// after a program that died in the middle of an exchange): the connection must be opened again, and the
    /// card has forgotten its volatile state (selected application, verified PIN).
    case cardReset
    /// Any other failure.
    case other
}

/// An error thrown by a ``CardChannel`` implementation that can say what it means for the card.
/// Transports conform their error types (PC/SC errors, the emulator's errors) so decoders can report
/// "card removed" or "mute card" precisely.
public protocol CardTransportError: Error {
    /// The meaning of this error for the card.
    var transportFailure: CardTransportFailure { get }
}

extension ISO7816Error: CardTransportError {
    /// A response shorter than the status word means the card went away mid-exchange (pcscd's virtual driver
    /// reports a removal this way); other ISO 7816 errors are ``CardTransportFailure/other``.
    public var transportFailure: CardTransportFailure {
        switch self {
        case .responseTooShort: return .cardRemoved
        default: return .other
        }
    }
}
