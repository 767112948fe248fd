import ISO7816

/// Which kind of carte Vitale an ATR announces (génération de carte).
public enum VitaleGeneration: String, Sendable, Hashable, Codable {
    /// Vitale 2: `3B 75 13 00 00 4x 09 EA 90 00` (x from 3 to C), or `3B 75 13 00 00 45 09 FA 90 00`.
    case vitale2
    /// Vitale 1 (Bull CP8, inverse convention): `3F 65 25 00 xx 09 xx 90 00`. Legacy, not supported.
    case vitale1
    /// Not a carte Vitale.
    case notVitale

    /// Recognises a card from its ATR.
    public init(atr: [UInt8]) {
        if atr.count == 10, atr[0] == 0x3B, atr[1] == 0x75, atr[2] == 0x13, atr[3] == 0x00, atr[4] == 0x00,
           (0x43...0x4C).contains(atr[5]), atr[6] == 0x09, atr[7] == 0xEA || atr[7] == 0xFA, atr[8] == 0x90, atr[9] == 0x00
        {
            self = .vitale2
        } else if atr.count == 9, atr[0] == 0x3F, atr[1] == 0x65, atr[2] == 0x25, atr[3] == 0x00, atr[5] == 0x09,
                  atr[7] == 0x90, atr[8] == 0x00
        {
            self = .vitale1
        } else {
            self = .notVitale
        }
    }
}
