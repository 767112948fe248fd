import Foundation
import Vitale

/// The fuzz target for the card decoders, fed arbitrary file contents.
///
/// Input: a selector byte, two big-endian 16-bit lengths, then the identity file, the NIR file and the rest as the
/// rights file (selector bit 1 set: no rights file, as on a real card). Decoding never traps; a card that
/// decodes is consistent (beneficiaries present, queries answer, JSON encodes with the NIRs masked).
/// (The CPS decoder has its own target, FuzzCPS.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCards(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 5 else { return 0 }
    let selector = bytes[0]
    let first = Int(bytes[1]) << 8 | Int(bytes[2])
    let second = Int(bytes[3]) << 8 | Int(bytes[4])
    var rest = bytes[5...]
    let a = Array(rest.prefix(first))
    rest = rest.dropFirst(a.count)
    let b = Array(rest.prefix(second))
    rest = rest.dropFirst(b.count)
    let c = Array(rest)
    let atr: [UInt8] = [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00]
    do {
        guard let card = try? VitaleDecoder.decode(atr: atr, identity: a, nir: b, rights: selector & 2 == 0 ? c : nil) else { return 0 }
        guard !card.beneficiaries.isEmpty else { fatalError("a decoded card without beneficiaries") }
        if card.rightsReadable {
            for beneficiary in card.beneficiaries {
                _ = card.coverage(of: beneficiary, on: beneficiary.dateOfBirth)
                _ = card.tiersPayant(for: beneficiary, on: beneficiary.dateOfBirth)
            }
        }
        guard let json = try? VitaleCard.jsonEncoder().encode(card) else { fatalError("a decoded card does not encode") }
        for beneficiary in card.beneficiaries where String(decoding: json, as: UTF8.self).contains(beneficiary.nir.revealed) {
            fatalError("a NIR in clear in masked JSON")
        }
    }
    return 0
}
