import ISO7816

extension EmulatedCard.TransmitError: CardTransportError {
    /// A powered-off emulated card is a card that left the reader, for decoders.
    public var transportFailure: CardTransportFailure { .cardRemoved }
}
