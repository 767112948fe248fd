import Emulator

// LeakSanitizer's interface (the targets are always built with -sanitize=fuzzer,address).
@_silgen_name("__lsan_disable") func lsanDisable()
@_silgen_name("__lsan_enable") func lsanEnable()

/// Cards built once: a Vitale 2 family, a CPS and a Vitale 1 (images embedded so the fuzzer needs no files).
/// They live for the whole run; LeakSanitizer cannot follow pointers that Swift tags with enum cases (spare
/// bits), so it would report their storage as leaked at exit: their construction is exempted from it.
let cards: [EmulatedCard] = {
    lsanDisable()
    defer { lsanEnable() }
    let vitale = """
    {"format": "openvitale-card-image/1", "kind": "vitale2", "purpose": "fuzz", "test": true,
     "vitale": {"startOfValidity": "20210315",
       "insured": {"regime": "01", "caisse": "349", "centre": "0001", "codeGestion": "10", "serialNumber": "1",
                   "endOfValidity": "20311231", "nir": "295109912611193"},
       "beneficiaries": [
         {"qualite": "0", "rang": 1, "nir": "295109912611193", "nomUsuel": "MARTIN", "prenom": "CLAIRE", "dateOfBirth": "19951031",
          "amoPeriods": [{"start": "20250101"}], "coverages": [{"start": "20250101", "ald": true, "situation": "0100"}],
          "complementary": [{"number": "75500017", "tiersPayant": "01", "start": "20250101"}]},
         {"qualite": "6", "rang": 2, "nir": "253072B07300470", "nomUsuel": "MARTIN", "prenom": "LEA", "dateOfBirth": "20152032"}]}}
    """
    let cps = """
    {"format": "openvitale-card-image/1", "kind": "cps", "purpose": "fuzz", "test": true,
     "cps": {"cardType": "0", "nationalIdType": "8", "nationalId": "810001234567", "civility": "DR", "lastName": "MEDECIN",
             "firstName": "ALICE", "endOfValidity": "20291231", "pin": "1234", "pinTriesLeft": 3,
             "signingKey": "6F1F1E4C3A0D8E0D8B7C7F0E6F9B2F5C1C7E2B1E9B3C0F1D2A3B4C5D6E7F8091",
             "certificateNotBefore": "20240101", "certificateNotAfter": "20291231",
             "situations": [{"modeExercice": "0", "billingNumber": "75100012", "billingKey": "6", "codeConventionnel": "1",
                             "specialite": "01", "zoneTarifaire": "01", "zoneIK": "01", "maySignInvoice": true, "maySignLot": true}]}}
    """
    let vitale1 = """
    {"format": "openvitale-card-image/1", "kind": "vitale1", "purpose": "fuzz", "test": true}
    """
    return [vitale, cps, vitale1].map { EmulatedCard(image: try! CardImage.parse(Array($0.utf8), name: "fuzz.json")) }
}()

/// The fuzz target: the first byte picks a card (and whether to power-cycle it first), then the input is a
/// sequence of APDUs, each preceded by its length byte. Every APDU must get a response of at least the two
/// status bytes, and the card must never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCardOS(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let card = cards[Int(bytes[0] % 3)]
    if bytes[0] & 0x80 != 0 { card.powerOff(); card.powerOn() } else { card.reset() }
    var index = 1
    while index < size {
        let length = Int(bytes[index])
        index += 1
        let end = min(size, index + length)
        let response = card.process(Array(bytes[index..<end]))
        guard response.count >= 2 else { fatalError("response without a status word") }
        index = end
    }
    return 0
}
