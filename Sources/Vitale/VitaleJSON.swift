import Foundation

extension VitaleCard {
    /// A JSON encoder for cards: sorted keys, pretty-printed; NIRs masked unless `revealNIRs` is true.
    public static func jsonEncoder(revealNIRs: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if revealNIRs { encoder.userInfo[NIR.revealInEncoding] = true }
        return encoder
    }
}
