import ISO7816

extension PCSCError: CardTransportError {
    /// What the code means for the card, for decoders that only know `CardChannel`.
    public var transportFailure: CardTransportFailure {
        if isCardGone { return .cardRemoved }
        if self == .unresponsiveCard || self == .timeout { return .cardMute }
        if isServiceLost { return .serviceUnavailable }
        if self == .readerUnavailable || self == .unknownReader || self == .noReadersAvailable { return .readerUnavailable }
        return .other
    }
}
