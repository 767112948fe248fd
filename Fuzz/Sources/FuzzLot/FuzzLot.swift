import Claims

/// The fuzzing key: seeds in Fuzz/Seeds/FuzzLot are lots signed with it (Tests/ClaimsTests/FuzzSeedTests).
let fuzzKey = try! SoftwareClaimSigner(rawPrivateKey: [UInt8](repeating: 0x11, count: 32)).identity.publicKey

/// libFuzzer entry point: the lot decoder (the gateway's view of untrusted bytes) never traps, with small
/// limits so that limit checks are reached too; anything it accepts was signed with the fuzzing key and its
/// FSEs re-encode to the bytes they came from.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLot(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let lot = try? LotDecoder(limits: LotLimits(maximumFSEs: 8, maximumBytes: 8192)).decode(bytes, verifyingWith: fuzzKey) else {
        return 0
    }
    guard lot.invoices.count == lot.header.count else { fatalError("lot count differs from its FSEs") }
    for invoice in lot.invoices where !invoice.isValid(for: fuzzKey) { fatalError("accepted an FSE with a bad signature") }
    return 0
}
