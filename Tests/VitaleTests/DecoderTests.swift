import ISO7816
import Testing
@testable import Vitale

private let atr2: [UInt8] = [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00]

@Suite struct DecoderTests {
    @Test func decodesAFamily() throws {
        let insured = TestPerson()
        var child = TestPerson(qualite: "6", rang: "2", nir: "253072B07300470", nomUsuel: "MARTIN", nomPatronymique: "MARTIN", prenom: "LEO", dateOfBirth: "20152032")
        child.amcs = [(number: "123456789", tp: "01", start: "20250101", end: nil)]
        let people = [insured, child]
        let card = try VitaleDecoder.decode(
            atr: atr2, identity: CardBuilder.identity(people), nir: CardBuilder.nirs(people), rights: CardBuilder.rights(people))
        #expect(card.beneficiaries.count == 2)
        #expect(card.card?.serialNumber == "0100000001")
        #expect(card.card?.endOfValidity == (try CardDate("20311231")))
        #expect(card.insured?.organism.code == "013490001")
        #expect(card.insured?.nir.revealed == "295109912611193")
        let leo = card.beneficiaries[1]
        #expect(leo.position == 2)
        #expect(leo.prenom == "LEO")
        #expect(leo.rang == 2)
        #expect(leo.qualite == .child)
        #expect(leo.dateOfBirth.isLunar)
        #expect(leo.dateOfBirth.compact == "20152032")
        #expect(leo.nir.revealed == "253072B07300470")
        #expect(leo.coverages.first?.period.end == nil)
        let day = try CardDate("20260301")
        #expect(card.coverage(of: leo, on: day).isCovered)
        #expect(card.coverage(of: leo, on: try CardDate("20280101")).status == .noRightsOnDate)
        #expect(card.tiersPayant(for: leo, on: day).isPossible)
        #expect(card.tiersPayant(for: card.beneficiaries[0], on: day).status == .noComplementaryOnDate)
        #expect(card.organismToBill?.regime == .general)
        // Printing never shows names or NIRs in clear.
        let printed = "\(leo) \(card.insured!.nir)"
        #expect(!printed.contains("LEO"))
        #expect(!printed.contains("253072B07300470"))
    }

    @Test func jsonMasksNIRsUnlessRevealed() throws {
        let people = [TestPerson()]
        let card = try VitaleDecoder.decode(
            atr: atr2, identity: CardBuilder.identity(people), nir: CardBuilder.nirs(people), rights: CardBuilder.rights(people))
        let masked = String(decoding: try VitaleCard.jsonEncoder().encode(card), as: UTF8.self)
        #expect(!masked.contains("295109912611193"))
        #expect(masked.contains("2 95 10 ** *** *** **"))
        let clear = String(decoding: try VitaleCard.jsonEncoder(revealNIRs: true).encode(card), as: UTF8.self)
        #expect(clear.contains("295109912611193"))
        let back = try JSONDecoderShim.decode(clear)
        #expect(back == card)
    }

    @Test func cardWithoutRightsFileGivesIdentitiesOnly() throws {
        let people = [TestPerson()]
        let card = try VitaleDecoder.decode(atr: atr2, identity: CardBuilder.identity(people), nir: CardBuilder.nirs(people), rights: nil)
        #expect(!card.rightsReadable)
        #expect(card.beneficiaries[0].qualite == nil)
        #expect(card.coverage(of: card.beneficiaries[0], on: try CardDate("20260101")).status == .unknown)
    }

    @Test func wrongNIRKeyIsATypedError() throws {
        let people = [TestPerson(nir: "295109912611199")]
        #expect {
            try VitaleDecoder.decode(atr: atr2, identity: CardBuilder.identity(people), nir: CardBuilder.nirs(people), rights: nil)
        } throws: { error in
            guard case VitaleError.invalidNIR(.nir, let field, .keyMismatch) = error else { return false }
            return field.contains("beneficiary 1") && !"\(error)".contains("2951099126111")
        }
    }

    @Test func nirFormatErrorIsTyped() throws {
        let people = [TestPerson(nir: "253072C07300443")]
        #expect(throws: VitaleError.self) {
            try VitaleDecoder.decode(atr: atr2, identity: CardBuilder.identity(people), nir: CardBuilder.nirs(people), rights: nil)
        }
    }

    @Test func corruptedIdentityFileIsReported() throws {
        // The fixture's bytes: 65 announces 48 bytes, then a length byte 80 (indefinite) inside.
        let bytes = Hex.decode("65 30 80 07 4C 41 4D 42 45 52 54 81 07 4F 4C 49 56 49 45 52 82 80 31 39 38 33")!
        let identity = CardBuilder.pad(bytes)
        let people = [TestPerson()]
        #expect {
            try VitaleDecoder.decode(atr: atr2, identity: identity, nir: CardBuilder.nirs(people), rights: nil)
        } throws: { error in
            guard case VitaleError.corruptedTLV(.identity, _, _) = error else { return false }
            return !"\(error)".contains("LAMBERT")
        }
        // A TLV running past the end of the file.
        #expect(throws: VitaleError.self) {
            try VitaleDecoder.decode(atr: atr2, identity: [0x65, 0x30, 0x80, 0x01], nir: CardBuilder.nirs(people), rights: nil)
        }
    }

    @Test func filesThatDisagreeAreRefused() throws {
        let a = [TestPerson(), TestPerson(qualite: "2", nir: "253072A07300443", prenom: "PAUL")]
        #expect(throws: VitaleError.self) {
            try VitaleDecoder.decode(atr: atr2, identity: CardBuilder.identity(a), nir: CardBuilder.nirs([a[0]]), rights: nil)
        }
        var swapped = a
        swapped[1].nir = "172192B99900224"
        #expect {
            try VitaleDecoder.decode(atr: atr2, identity: CardBuilder.identity(a), nir: CardBuilder.nirs(a), rights: CardBuilder.rights(swapped))
        } throws: { error in
            guard case VitaleError.inconsistentFiles = error else { return false }
            return true
        }
    }

    @Test func missingRequiredFieldNamesTheField() throws {
        var p = TestPerson()
        p.periods = [("2025", nil)]
        #expect {
            try VitaleDecoder.decode(atr: atr2, identity: CardBuilder.identity([p]), nir: CardBuilder.nirs([p]), rights: CardBuilder.rights([p]))
        } throws: { error in
            "\(error)".contains("E3 AMO period 1 / C1 start")
        }
    }

    @Test func atrRecognition() {
        #expect(VitaleGeneration(atr: atr2) == .vitale2)
        #expect(VitaleGeneration(atr: [0x3B, 0x75, 0x13, 0x00, 0x00, 0x45, 0x09, 0xFA, 0x90, 0x00]) == .vitale2)
        #expect(VitaleGeneration(atr: [0x3F, 0x65, 0x25, 0x00, 0x52, 0x09, 0x6A, 0x90, 0x00]) == .vitale1)
        #expect(VitaleGeneration(atr: [0x3F, 0x65, 0x25, 0x00, 0x2C, 0x09, 0xF9, 0x90, 0x00]) == .vitale1)
        #expect(VitaleGeneration(atr: [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00]) == .notVitale)
    }

    @Test func lunarDatesAreKept() throws {
        let d = try CardDate("19622032")
        #expect(d.isLunar && !d.isCalendarDate)
        #expect(d.iso == "1962-20-32")
        #expect(throws: CardDateError.self) { try CardDate("19621332") }
        #expect(throws: CardDateError.self) { try CardDate("1962103") }
    }
}
