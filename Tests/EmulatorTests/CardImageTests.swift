import Emulator
import Foundation
import ISO7816
import Testing

@Suite("Card images")
struct CardImageTests {
    @Test("Every fixture under Fixtures/cards loads, is a test card and builds a card", arguments: Fixtures.allImageURLs.map(\.lastPathComponent))
    func fixtureLoads(_ name: String) throws {
        let image = try Fixtures.image(name)
        #expect(image.isTestCard)
        #expect(!image.purpose.isEmpty)
        let card = EmulatedCard(image: image)
        #expect(try ATR(bytes: card.atr).protocols == [0])
        if let vitale = image.vitale {
            #expect(card.run("00A4000C023F00").sw == 0x9000)
            let identity = card.run("00B0820000")
            #expect(identity.sw == 0x9000)
            if !image.defects.contains(.corruptedIdentityFile) {
                #expect(try persons(identity.data).count == vitale.beneficiaries.count)
            }
            #expect(card.run("00A4040C0BD250000002564954414C45").sw == 0x9000)
            #expect(try persons(card.run("00B0820000").data).count == vitale.beneficiaries.count)
            let rightsFile = card.run("00B08300000000")
            #expect(rightsFile.sw == 0x6282)
            let rights = try TLV.parseAll(rightsFile.data)
            #expect(rights.filter { $0.tag == 0xE2 }.count == vitale.beneficiaries.count)
        }
    }

    @Test("The fixtures the issue asks for are all there")
    func fixtureSet() {
        let names = Set(Fixtures.allImageURLs.map(\.lastPathComponent))
        for name in ["single-insured", "family", "twins", "lunar-birth-date", "corsica", "regime-msa", "regime-sncf", "regime-mgen",
                     "complementary-tiers-payant", "complementary-without-tiers-payant", "rights-expired", "card-expired", "ald",
                     "corrupted-identity", "wrong-nir-key", "vitale1", "cps-gp-secteur1", "cps-specialist-secteur2", "cps-remplacant",
                     "cps-nurse", "cps-blocked"] {
            #expect(names.contains(name + ".json"), "missing fixture \(name).json")
        }
    }

    @Test("Fixture contents match their purpose")
    func fixtureContents() throws {
        let family = try Fixtures.image("family.json").vitale!
        #expect(family.beneficiaries.map(\.qualite) == ["0", "2", "6", "6"])
        #expect(try Fixtures.image("twins.json").vitale!.beneficiaries.map(\.rang) == [1, 1, 2])
        #expect(try Fixtures.image("lunar-birth-date.json").vitale!.beneficiaries[0].dateOfBirth == "19572032")
        let corsica = try Fixtures.image("corsica.json").vitale!.beneficiaries.map(\.nir)
        #expect(corsica.map { String($0.dropFirst(5).prefix(2)) } == ["2A", "2B"])
        #expect(try Fixtures.image("regime-msa.json").vitale!.insured.regime == "02")
        #expect(try Fixtures.image("regime-sncf.json").vitale!.insured.regime == "04")
        #expect(try Fixtures.image("regime-mgen.json").vitale!.insured.regime == "91")
        #expect(try Fixtures.image("complementary-tiers-payant.json").vitale!.beneficiaries[0].complementary[0].tiersPayant == "01")
        #expect(try Fixtures.image("complementary-without-tiers-payant.json").vitale!.beneficiaries[0].complementary[0].tiersPayant == "00")
        #expect(try Fixtures.image("ald.json").vitale!.beneficiaries[0].coverages[0].ald)
        #expect(try Fixtures.image("wrong-nir-key.json").defects == [.wrongNIRKey])
        #expect(try Fixtures.image("cps-blocked.json").cps!.pinTriesLeft == 0)
        #expect(try Fixtures.image("cps-remplacant.json").cps!.situations[0].modeExercice == "4")
        #expect(try Fixtures.image("cps-nurse.json").cps!.situations[0].specialite == "24")
        #expect(try Fixtures.image("cps-specialist-secteur2.json").cps!.situations.map(\.codeConventionnel) == ["2", "2"])
    }

    @Test("NIR keys of the reference examples")
    func nirKeys() {
        #expect(CheckDigits.nirKey("2951099126111") == 93)
        #expect(CheckDigits.nirKey("253072B073004") == 70)
        #expect(CheckDigits.nirKey("253072A073004") == 43)
        #expect(CheckDigits.nirKey("1570167482145") == 62)
        #expect(CheckDigits.nirKey("172192B999002") == 24)
        #expect(CheckDigits.nirKey("165192A999001") == 50)
        #expect(CheckDigits.nirKey("253072C073004") == nil)
        #expect(CheckDigits.luhn("7992739871") == 3)
    }

    static let valid = """
    {"format": "openvitale-card-image/1", "kind": "vitale2", "purpose": "test", "test": true,
     "vitale": {"startOfValidity": "20210315",
       "insured": {"regime": "01", "caisse": "349", "centre": "0001", "codeGestion": "10", "serialNumber": "1",
                   "endOfValidity": "20311231", "nir": "295109912611193"},
       "beneficiaries": [{"qualite": "0", "rang": 1, "nir": "295109912611193", "nomUsuel": "MARTIN", "prenom": "CLAIRE",
                          "dateOfBirth": "19951031"}]}}
    """

    static func refuse(_ text: String) -> CardImageError? {
        do {
            _ = try CardImage.parse(Data(text.utf8), name: "bad.json")
            return nil
        } catch {
            return error
        }
    }

    @Test("The valid base image used by the refusal tests loads")
    func baseLoads() throws {
        _ = try CardImage.parse(Data(Self.valid.utf8), name: "good.json")
    }

    @Test("Malformed images are refused naming the file and the field", arguments: [
        (Redacted(#""endOfValidity": "20311231", "nir": "295109912611193""#), Redacted(#""endOfValidity": "20311231", "nir": "295109912611199""#), "vitale.insured.nir"),
        (Redacted(#""rang": 1, "nir": "295109912611193""#), Redacted(#""rang": 1, "nir": "2951099126111""#), "vitale.beneficiaries[0].nir"),
        (Redacted(#""regime": "01""#), Redacted(#""regime": "1X""#), "vitale.insured.regime"),
        (Redacted(#""dateOfBirth": "19951031""#), Redacted(#""dateOfBirth": "19951331""#), "vitale.beneficiaries[0].dateOfBirth"),
        (Redacted(#""rang": 1"#), Redacted(#""rang": 4"#), "vitale.beneficiaries[0].rang"),
        (Redacted(#""rang": 1"#), Redacted(#""rang": "1""#), "vitale.beneficiaries[0].rang"),
        (Redacted(#""prenom": "CLAIRE""#), Redacted(#""prenom": "CLAIRE", "prenon": "X""#), "vitale.beneficiaries[0].prenon"),
        (Redacted(#""prenom": "CLAIRE""#), Redacted(#""prenom": "CLAIRé""#), "vitale.beneficiaries[0].prenom"),
        (Redacted(#""kind": "vitale2""#), Redacted(#""kind": "vitale3""#), "kind"),
        (Redacted(#""format": "openvitale-card-image/1""#), Redacted(#""format": "x""#), "format"),
        (Redacted(#""startOfValidity": "20210315","#), Redacted(""), "vitale.startOfValidity"),
        (Redacted(#""test": true"#), Redacted(#""test": "yes""#), "test"),
        (Redacted(#""test": true"#), Redacted(#""test": true, "atr": "3B 75 13""#), "atr"),
    ])
    func refused(_ from: Redacted, _ to: Redacted, _ field: String) throws {
        let text = Self.valid.replacingOccurrences(of: from.value, with: to.value)
        #expect(text != Self.valid)
        let error = try #require(Self.refuse(text))
        #expect(error.file == "bad.json")
        #expect(error.field == field, "\(error)")
        #expect(!error.description.contains("295109912611199"), "a NIR must not appear in an error")
    }

    @Test("A file that is not JSON, or is missing, is refused naming the file")
    func notJSON() throws {
        let error = try #require(Self.refuse("{\"format\": "))
        #expect(error.description.hasPrefix("bad.json: is not valid JSON"))
        #expect(throws: CardImageError.self) { try CardImage.load(from: URL(fileURLWithPath: "/nonexistent/card.json")) }
    }

    @Test("A CPS billing key that is not the Luhn digit is refused")
    func cpsBillingKey() throws {
        let url = Fixtures.cardsDirectory.appendingPathComponent("cps-nurse.json")
        var text = try String(contentsOf: url, encoding: .utf8)
        let key = try Fixtures.image("cps-nurse.json").cps!.situations[0].billingKey
        text = text.replacingOccurrences(of: "\"billingKey\": \"\(key)\"", with: "\"billingKey\": \"\((Int(key)! + 1) % 10)\"")
        let error = try #require(Self.refuse(text))
        #expect(error.field == "cps.situations[0].billingKey")
    }
}

/// A test argument that test output shows masked: image fragments carry NIRs and names.
struct Redacted: CustomTestStringConvertible, Sendable {
    let value: String
    init(_ value: String) { self.value = value }
    var testDescription: String { "<\(value.count) characters, masked>" }
}
