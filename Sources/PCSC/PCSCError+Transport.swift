import ISO7816

extension PCSCError: CardTransportError {
    /// What the code means for the card, for decoders that only know `CardChannel`.
    ///
    /// On an exchange, ``resetCard``, ``unpoweredCard`` and ``protocolMismatch`` mean the card was reset or
    /// power-cycled under the connection (``CardTransportFailure/cardReset``): pcscd answers `SCARD_W_RESET_CARD`
    /// to the other connections when a program resets the card or dies holding a transaction, and
    /// `SCARD_E_PROTO_MISMATCH` to a connection opened while it was still finishing an exchange of a program that
    /// died, once it reset the card after it (the connection's protocol is no longer the card's).
    public var transportFailure: CardTransportFailure {
        if isCardGone { return .cardRemoved }
        if self == .resetCard || self == .unpoweredCard || self == .protocolMismatch { return .cardReset }
        if self == .unresponsiveCard || self == .timeout { return .cardMute }
        if isServiceLost { return .serviceUnavailable }
        if self == .readerUnavailable || self == .unknownReader || self == .noReadersAvailable { return .readerUnavailable }
        return .other
    }
}
