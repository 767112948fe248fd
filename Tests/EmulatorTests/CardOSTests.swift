import Crypto
import Emulator
import ISO7816
import Testing

@Suite("Card operating system")
struct CardOSTests {
    @Test("The public Vitale sequence reads identity and NIR files")
    func publicSequence() async throws {
        let card = try Fixtures.card("family.json")
        #expect(card.run("00A4000C023F00").sw == 0x9000)
        let identity = card.run("00B0820000")
        #expect(identity.sw == 0x9000)
        #expect(identity.data.count == 256)
        let people = try persons(identity.data)
        #expect(people.map { $0[0x81] } == ["PIERRE", "SOPHIE", "LUCAS", "EMMA"])
        #expect(people[1][0x80] == "DURAND")
        #expect(people[3][0x82] == "20130904")
        #expect(card.run("00A4040C0BD250000002564954414C45").sw == 0x9000)
        let nirs = try persons(card.run("00B0820000").data)
        let image = try Fixtures.image("family.json")
        #expect(nirs.map { $0[0x93] } == image.vitale!.beneficiaries.map { Optional($0.nir) })
        #expect(nirs.allSatisfy { $0[0x93]?.count == 15 })
    }

    @Test("SELECT under T=0 answers 61XX and the FCI comes with GET RESPONSE")
    func selectT0() throws {
        let card = try Fixtures.card("single-insured.json")
        let select = card.run("00A404000BD250000002564954414C45")
        #expect(select.data.isEmpty)
        #expect(select.sw >> 8 == 0x61)
        let length = Int(select.sw & 0xFF)
        // A larger Le gets 6CXX, then the exact one succeeds.
        #expect(card.run("00C00000FF").sw == 0x6C00 | UInt16(length))
        let fci = card.run(String(format: "00C00000%02X", length))
        #expect(fci.sw == 0x9000)
        let template = try TLV.parseAll(fci.data)
        #expect(template.first?.tag == 0x6F)
        #expect(try template.first?.child(0x84)?.value.elementsEqual(CardProfiles.vitaleAID) == true)
        // Nothing waits any more.
        #expect(card.run("00C0000010").sw == 0x6985)
        // Case 4 (with Le) is answered 61XX too.
        #expect(card.run("00A40004023F0000").sw >> 8 == 0x61)
        // GET RESPONSE in two parts.
        let total = Int(card.run("00A40004023F0000").sw & 0xFF)
        let first = card.run("00C0000004")
        #expect(first.data.count == 4)
        #expect(first.sw == 0x6100 | UInt16(total - 4))
        #expect(card.run(String(format: "00C00000%02X", total - 4)).sw == 0x9000)
        // Any other command drops the waiting data.
        _ = card.run("00A40004023F0000")
        _ = card.run("00A4000C023F00")
        #expect(card.run("00C0000004").sw == 0x6985)
    }

    @Test("READ BINARY: offsets, SFI, 6B00 past the end, 6CXX for a wrong short Le, 6282 for an extended Le")
    func readBinary() throws {
        let card = try Fixtures.card("single-insured.json")
        #expect(card.run("00B0000010").sw == 0x6986)  // no current EF
        #expect(card.run("00A4020C02D001").sw == 0x9000)
        let all = card.run("00B0000000")
        #expect(all.sw == 0x9000 && all.data.count == 256)
        let part = card.run("00B0001010")
        #expect(part.data == Array(all.data[16..<32]))
        #expect(card.run("00B0010000").sw == 0x6B00)
        #expect(card.run("00B000F020").sw == 0x6C10)
        #expect(card.run("00B000F010").data == Array(all.data[0xF0...]))
        let extended = card.run("00B00000000000")
        #expect(extended.sw == 0x6282 && extended.data == all.data)
        #expect(card.run("00B09F0000").sw == 0x6A86)
        #expect(card.run("00B0850000").sw == 0x6A82)
        #expect(card.run("00B0A20000").sw == 0x6A86)
        #expect(card.run("00B000").sw == 0x6700)
        #expect(card.run("00B0000002AABB00").sw == 0x6700)
        // After an SFI read the file is current: the next chunk by offset.
        #expect(card.run("00A4040C0BD250000002564954414C45").sw == 0x9000)
        #expect(card.run("00B0830000").sw == 0x9000)
        #expect(card.run("00B0010000").sw == 0x6B00)
    }

    @Test("SELECT by path, by FID, parent, and errors")
    func selectVariants() throws {
        let card = try Fixtures.card("single-insured.json")
        #expect(card.run("00A4080C040001D002").sw == 0x9000)
        #expect(try persons(card.run("00B0000000").data).first?[0x93]?.count == 15)
        #expect(card.run("00A4090C02D003").sw == 0x9000)
        #expect(card.run("00A4030C").sw == 0x9000)  // parent of VITALE is the MF
        #expect(card.run("00A4000C020001").sw == 0x9000)
        #expect(card.run("00A4000C023F00").sw == 0x9000)
        #expect(card.run("00A4000C021234").sw == 0x6A82)
        #expect(card.run("00A4040C03D25000").sw == 0x6A82)
        #expect(card.run("00A4070C023F00").sw == 0x6A86)
        #expect(card.run("00A40001023F00").sw == 0x6A86)
        #expect(card.run("00A4000C033F0000").sw == 0x6700)
        #expect(card.run("00A4040C0ED2500000024D465F564954414C45").sw == 0x9000)
        let fcp = card.run("00A40004023F00")
        #expect(fcp.sw >> 8 == 0x61)
    }

    @Test("READ RECORD of EF.DIR")
    func readRecord() throws {
        let card = try Fixtures.card("family.json")
        let first = card.run("00B201F400")
        #expect(first.sw >> 8 == 0x6C)
        let r1 = card.run(String(format: "00B201F4%02X", first.sw & 0xFF))
        #expect(r1.sw == 0x9000)
        let app = try TLV.parseAll(r1.data).first
        #expect(app?.tag == 0x61)
        #expect(card.run(String(format: "00B202F4%02X", first.sw & 0xFF)).sw == 0x9000)
        #expect(card.run("00B203F400").sw == 0x6A83)
        #expect(card.run("00B200F400").sw == 0x6A83)
        #expect(card.run("00B201F500").sw == 0x6A86)
        #expect(card.run("00B2011400").sw == 0x6981)  // SFI 2 is transparent
        #expect(card.run("00A4020C02D001").sw == 0x9000)
        #expect(card.run("00B2010400").sw == 0x6981)  // current EF (identity) is transparent
    }

    @Test("Unknown instruction, class and logical channel")
    func classAndInstruction() throws {
        let card = try Fixtures.card("single-insured.json")
        #expect(card.run("00CA000000").sw == 0x6D00)
        #expect(card.run("80B0000000").sw == 0x6E00)
        #expect(card.run("01B0000000").sw == 0x6881)
        #expect(card.run("00").sw == 0x6700)
        #expect(card.process([]) == [0x67, 0x00])
    }

    @Test("Vitale 1 answers only its ATR")
    func vitale1() throws {
        let card = try Fixtures.card("vitale1.json")
        #expect(card.atr == hex("3F6525005209 6A9000".replacingOccurrences(of: " ", with: "")))
        #expect(card.run("00A4000C023F00").sw == 0x6E00)
        #expect(card.run("BCB0000010").sw == 0x6D00)
    }

    @Test("CPS: VERIFY counts tries, blocks at zero; power off clears the verified state")
    func verify() async throws {
        let card = try Fixtures.card("cps-gp-secteur1.json")
        #expect(card.run("00200001").sw == 0x63C3)
        #expect(card.run("002000010431313131").sw == 0x63C2)
        #expect(card.run("002000010431323334").sw == 0x9000)
        #expect(card.pinTriesLeft == 3)
        #expect(card.run("00200001").sw == 0x9000)
        card.powerOff()
        card.powerOn()
        #expect(card.run("00200001").sw == 0x63C3)
        #expect(card.run("0020000104313233").sw == 0x6700)
        #expect(card.run("0020000103313233").sw == 0x6A80)
        #expect(card.run("002000010441424344").sw == 0x6A80)
        #expect(card.run("002000020431323334").sw == 0x6A88)
        for expected: UInt16 in [0x63C2, 0x63C1, 0x63C0, 0x6983] {
            #expect(card.run("002000010430303030").sw == expected)
        }
        #expect(card.run("002000010431323334").sw == 0x6983)
        #expect(card.run("00200001").sw == 0x6983)
        #expect(card.pinTriesLeft == 0)
    }

    @Test("CPS: PSO COMPUTE DIGITAL SIGNATURE signs a SHA-256 digest after VERIFY, verifiable with the certificate key")
    func signature() async throws {
        let card = try Fixtures.card("cps-gp-secteur1.json")
        let digest = Array(SHA256.hash(data: Array("FSE lot 42".utf8)))
        let pso = "002A9E9A20" + Hex.encode(digest) + "00"
        #expect(card.run(pso).sw == 0x6985)  // CPS application not selected
        #expect(card.run("00A4040C0BD2500000034F562D435053").sw == 0x9000)
        #expect(card.run(pso).sw == 0x6982)  // PIN not verified
        #expect(card.run("002000010431323334").sw == 0x9000)
        #expect(card.run("002A9E9A10" + Hex.encode(digest.prefix(16))).sw == 0x6700)
        #expect(card.run(pso).sw == 0x6140)
        let signature = card.run("00C0000040")
        #expect(signature.sw == 0x9000)
        #expect(signature.data.count == 64)

        // The certificate: read it, check the authority's signature, take the public key.
        let certificate = card.run("00B0830000")
        #expect(certificate.sw == 0x9000)
        let cert = try #require(try TLV.parseAll(certificate.data).first)
        #expect(cert.tag == 0x7F21)
        let body = try #require(try cert.child(0x7F4E))
        let authoritySignature = try #require(try cert.child(0x5F37))
        let authority = try P256.Signing.PublicKey(x963Representation: TestCardAuthority.publicKeyX963)
        #expect(authority.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: Array(authoritySignature.value)), for: body.bytes))
        let publicKey = try P256.Signing.PublicKey(x963Representation: Array(try #require(try body.child(0x86)).value))
        #expect(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature.data), for: SHA256.hash(data: Array("FSE lot 42".utf8))))
        #expect(try body.child(0xC0)?.value.first == 0x01)

        // Power cycle: the PIN must be verified again.
        card.reset()
        #expect(card.run("00A4040C0BD2500000034F562D435053").sw == 0x9000)
        #expect(card.run(pso).sw == 0x6982)
    }

    @Test("The test card authority's public key is the documented one")
    func authorityKey() {
        #expect(Hex.encode(TestCardAuthority.publicKeyX963) ==
            "047D0E9BF139CB705C3DE1A5910E3A3160244D00657DC35FBE93FFFB4A935426B5CED9420F0639AED6659883864947122FEE90A8E3D8CB1AAC539146EDA630F115")
    }

    @Test("A blocked CPS refuses VERIFY and signing")
    func blocked() throws {
        let card = try Fixtures.card("cps-blocked.json")
        #expect(card.run("002000010431323334").sw == 0x6983)
        #expect(card.run("00A4040C0BD2500000034F562D435053").sw == 0x9000)
        #expect(card.run("002A9E9A20" + String(repeating: "00", count: 32) + "00").sw == 0x6983)
    }

    @Test("In-process channel: T=0 loops of CardChannel.send and power state")
    func channel() async throws {
        let card = try Fixtures.card("single-insured.json")
        let fci = try await card.sendExpectingSuccess(try CommandAPDU.selectApplication(CardProfiles.vitaleAID))
        #expect(fci.first == 0x6F)
        let nir = try await card.sendExpectingSuccess(try CommandAPDU.readBinary(sfi: 2, ne: 256))
        #expect(try persons(nir).count == 1)
        card.powerOff()
        await #expect(throws: EmulatedCard.TransmitError.unpowered) { _ = try await card.transmit(hex("00A4000C023F00")) }
        card.powerOn()
        #expect(try await card.transmit(hex("00A4000C023F00")) == [0x90, 0x00])
    }

    @Test("Random bytes never crash the engine and always get a status word")
    func randomBytes() throws {
        let cards = try ["family.json", "cps-gp-secteur1.json", "vitale1.json"].map(Fixtures.card)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3_000 {
            let length = Int.random(in: 0...300, using: &generator)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if length > 1, Bool.random(using: &generator) { bytes[0] = 0 }
            if length > 2, Bool.random(using: &generator) { bytes[1] = [0xA4, 0xB0, 0xB2, 0xC0, 0x20, 0x2A].randomElement(using: &generator)! }
            for card in cards {
                let response = card.process(bytes)
                #expect(response.count >= 2)
            }
        }
    }
}
