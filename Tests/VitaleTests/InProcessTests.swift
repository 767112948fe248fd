import CPS
import Crypto
import Emulator
import ISO7816
import Testing
import Vitale

@Suite("Vitale and CPS fixtures, in-process")
struct InProcessTests {
    @Test(arguments: Fixtures.goodVitaleNames)
    func readsEveryVitaleFixture(_ name: String) async throws {
        let image = try Fixtures.image(name)
        let emulated = EmulatedCard(image: image)
        let probe = ProbeChannel(emulated)
        let card = try await VitaleReader().read(from: probe, atr: emulated.atr)
        try expectMatches(card, image)
        let files = try await VitaleReader().readFiles(from: EmulatedCard(image: image))
        #expect(probe.count == minimalAPDUCount(files), "\(name): \(probe.count) APDUs")
        if name == "single-insured.json" { #expect(probe.count == 5) }
    }

    @Test(arguments: Fixtures.goodVitaleNames)
    func extendedReadsAreThreeReadsWhateverTheSize(_ name: String) async throws {
        let image = try Fixtures.image(name)
        let emulated = EmulatedCard(image: image)
        let probe = ProbeChannel(emulated)
        let card = try await VitaleReader(options: .init(extendedLength: true)).read(from: probe, atr: emulated.atr)
        try expectMatches(card, image)
        #expect(probe.count == 5)
    }

    @Test func answersThePractitionersQuestions() async throws {
        func read(_ name: String) async throws -> VitaleCard {
            let c = EmulatedCard(image: try Fixtures.image(name))
            return try await VitaleReader().read(from: c, atr: c.atr)
        }
        let day = try CardDate("20260115")
        let family = try await read("family.json")
        #expect(family.beneficiaries.map(\.qualite?.code) == ["0", "2", "6", "6"])
        #expect(family.beneficiaries.allSatisfy { family.coverage(of: $0, on: day).isCovered })
        #expect(family.organismToBill?.code == "013490001")
        let expired = try await read("card-expired.json")
        #expect(expired.coverage(of: expired.beneficiaries[0], on: day).status == .cardNotValidOnDate)
        let noRights = try await read("rights-expired.json")
        #expect(noRights.coverage(of: noRights.beneficiaries[0], on: day).status == .noRightsOnDate)
        let ald = try await read("ald.json")
        #expect(ald.beneficiaries.contains { ald.coverage(of: $0, on: day).hasALD })
        let tp = try await read("complementary-tiers-payant.json")
        #expect(tp.beneficiaries.contains { tp.tiersPayant(for: $0, on: day).isPossible })
        let noTP = try await read("complementary-without-tiers-payant.json")
        #expect(noTP.beneficiaries.allSatisfy { !noTP.tiersPayant(for: $0, on: day).isPossible })
        #expect(noTP.beneficiaries.contains { noTP.tiersPayant(for: $0, on: day).status == .refusedByIndicator })
        let lunar = try await read("lunar-birth-date.json")
        #expect(lunar.beneficiaries[0].dateOfBirth.isLunar)
        let msa = try await read("regime-msa.json")
        #expect(msa.organismToBill?.regime.code == "02")
        let twins = try await read("twins.json")
        #expect(Set(twins.beneficiaries.compactMap(\.rang)).isSuperset(of: [1, 2]))
    }

    // MARK: Errors

    @Test func corruptedIdentityFile() async throws {
        let c = EmulatedCard(image: try Fixtures.image("corrupted-identity.json"))
        await #expect {
            try await VitaleReader().read(from: c, atr: c.atr)
        } throws: { error in
            guard case VitaleError.corruptedTLV(.identity, _, _) = error else { return false }
            return true
        }
    }

    @Test func wrongNIRKey() async throws {
        let c = EmulatedCard(image: try Fixtures.image("wrong-nir-key.json"))
        await #expect {
            try await VitaleReader().read(from: c, atr: c.atr)
        } throws: { error in
            guard case VitaleError.invalidNIR(_, _, .keyMismatch) = error else { return false }
            return !"\(error)".contains("295109912611199") && !"\(error)".contains("MERCIER")
        }
    }

    @Test func vitale1IsLegacy() async throws {
        let c = EmulatedCard(image: try Fixtures.image("vitale1.json"))
        let probe = ProbeChannel(c)
        await #expect {
            try await VitaleReader().read(from: probe, atr: c.atr)
        } throws: { error in
            guard case VitaleError.legacyVitale1 = error else { return false }
            return "\(error)".contains("legacy Vitale 1 card, not supported")
        }
        #expect(probe.count == 0)
    }

    @Test func cpsIsNotAVitale() async throws {
        let c = EmulatedCard(image: try Fixtures.image("cps-gp-secteur1.json"))
        await #expect {
            try await VitaleReader().read(from: c, atr: c.atr)
        } throws: { error in
            guard case VitaleError.notAVitaleCard = error else { return false }
            return "\(error)".contains("not a carte Vitale")
        }
    }

    @Test(arguments: 0...6)
    func cardRemovedMidRead(after apdus: Int) async throws {
        let c = EmulatedCard(image: try Fixtures.image("family.json"))
        let probe = ProbeChannel(c, failure: .throwAfter(apdus, EmulatedCard.TransmitError.unpowered))
        await #expect {
            try await VitaleReader().read(from: probe, atr: c.atr)
        } throws: { error in
            guard case VitaleError.cardRemoved = error else { return false }
            return true
        }
    }

    @Test func muteCard() async throws {
        let c = EmulatedCard(image: try Fixtures.image("single-insured.json"))
        let probe = ProbeChannel(c, failure: .throwAfter(2, ProbeChannel<EmulatedCard>.MuteError()))
        await #expect {
            try await VitaleReader().read(from: probe, atr: c.atr)
        } throws: { error in
            guard case VitaleError.cardMute = error else { return false }
            return true
        }
    }

    @Test func cardThatNeverAnswersIsMuteAfterTheTimeout() async throws {
        let c = EmulatedCard(image: try Fixtures.image("single-insured.json"))
        let probe = ProbeChannel(c, failure: .hangAfter(3))
        defer { probe.release() }
        let start = ContinuousClock.now
        await #expect {
            try await VitaleReader(options: .init(apduTimeout: .milliseconds(200))).read(from: probe, atr: c.atr)
        } throws: { error in
            guard case VitaleError.cardMute(let step, .milliseconds(200)) = error else { return false }
            return step.hasPrefix("READ BINARY") && "\(error)".hasSuffix("within 200 ms")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(probe.heldCount == 1)
    }

    @Test func unexpectedStatusWord() async throws {
        let c = EmulatedCard(image: try Fixtures.image("single-insured.json"))
        let probe = ProbeChannel(c, failure: .statusAfter(3, 0x6F00))
        await #expect {
            try await VitaleReader().read(from: probe, atr: c.atr)
        } throws: { error in
            guard case VitaleError.unexpectedStatus(let sw, _) = error else { return false }
            return sw.rawValue == 0x6F00 && "\(error)".contains("6F00")
        }
    }

    /// A carte Vitale whose identity file is missing (`6A82`) but whose VITALE application answers is a damaged
    /// carte Vitale (unexpected status, exit 1 for `vitale`), not a foreign card: the probe SELECT tells them apart.
    @Test func missingIdentityFileOnACarteVitaleIsNotForeign() async throws {
        let c = EmulatedCard(image: try Fixtures.image("single-insured.json"))
        let probe = ProbeChannel(c, failure: .statusAfter(1, 0x6A82))
        await #expect {
            try await VitaleReader().read(from: probe, atr: c.atr)
        } throws: { error in
            guard case VitaleError.unexpectedStatus(.fileNotFound, let step) = error else { return false }
            return step == "READ BINARY \(VitaleFile.identity)"
        }
        #expect(probe.count == 3)  // SELECT MF, READ BINARY identity, SELECT VITALE (the probe)
    }

    /// A card with a Vitale 2 ATR that knows no SELECT (`6D00`) is not a carte Vitale, and nothing more is sent.
    @Test func cardWithAVitaleATRWithoutTheFilesIsNotACarteVitale() async throws {
        let c = EmulatedCard(image: try Fixtures.image("single-insured.json"))
        let probe = ProbeChannel(c, failure: .statusAfter(0, 0x6D00))
        await #expect {
            try await VitaleReader().read(from: probe, atr: c.atr)
        } throws: { error in
            guard case VitaleError.notAVitaleCard(_, let reason?) = error else { return false }
            return reason == "no master file (SELECT MF answered 6D00, instruction code not supported or invalid)"
                && "\(error)".hasPrefix("not a carte Vitale (ATR 3B 75 13")
        }
        #expect(probe.count == 1)
    }

    // MARK: CPS

    @Test(arguments: Fixtures.cpsNames)
    func readsEveryCPSFixture(_ name: String) async throws {
        let image = try Fixtures.image(name)
        let emulated = EmulatedCard(image: image)
        let probe = ProbeChannel(emulated)
        let session = try CPSSession(channel: probe, atr: emulated.atr)
        let card = try await session.read()
        try expectMatches(card, image)
        #expect(probe.count == 4)
        let key = try card.certificate.signingPublicKey()
        let expected = try P256.Signing.PrivateKey(rawRepresentation: image.cps!.signingKey).publicKey
        #expect(key.x963Representation == expected.x963Representation)
    }

    @Test func pinAndSigning() async throws {
        let image = try Fixtures.image("cps-gp-secteur1.json")
        let emulated = EmulatedCard(image: image)
        let session = try CPSSession(channel: emulated, atr: emulated.atr)
        let card = try await session.read()
        let digest = Array(SHA256.hash(data: Array("an FSE".utf8)))
        await #expect(throws: CPSError.pinRequired) { try await session.sign(digest: digest) }
        #expect(try await session.pinStatus() == .notVerified(triesLeft: 3))
        await #expect(throws: CPSError.invalidPINFormat) { try await session.verifyPIN("12a4") }
        let wrong = image.cps!.pin == "0000" ? "1111" : "0000"
        await #expect(throws: CPSError.wrongPIN(triesLeft: 2)) { try await session.verifyPIN(wrong) }
        #expect(try await session.pinStatus() == .notVerified(triesLeft: 2))
        try await session.verifyPIN(image.cps!.pin)
        #expect(try await session.pinStatus() == .verified)
        let raw = try await session.sign(digest: digest)
        #expect(raw.count == 64)
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: raw)
        let digestValue = SHA256.hash(data: Array("an FSE".utf8))
        #expect(try card.certificate.signingPublicKey().isValidSignature(signature, for: digestValue))
        // After a power cycle the PIN is asked again.
        emulated.reset()
        await #expect(throws: CPSError.pinRequired) { try await session.sign(digest: digest) }
    }

    @Test func muteCPSIsReportedWithinTheTimeout() async throws {
        let image = try Fixtures.image("cps-gp-secteur1.json")
        let emulated = EmulatedCard(image: image)
        let timeout = Duration.milliseconds(200)
        // The card stops answering after the SELECT: the read names the holder file's READ BINARY.
        let probe = ProbeChannel(emulated, failure: .hangAfter(1))
        defer { probe.release() }
        let start = ContinuousClock.now
        let session = try CPSSession(channel: probe, atr: emulated.atr, apduTimeout: timeout)
        await #expect(throws: CPSError.cardMute(step: "READ BINARY \(CPSFile.holder)", timeout: timeout)) {
            try await session.read()
        }
        #expect("\(CPSError.cardMute(step: "READ BINARY \(CPSFile.holder)", timeout: timeout))"
            == "mute CPS: no answer to READ BINARY CPS holder file (EF C001, SFI 1) within 200 ms")
        // Every later operation of the session: PIN state, PIN, signature.
        await #expect(throws: CPSError.cardMute(step: "VERIFY (PIN status)", timeout: timeout)) { try await session.pinStatus() }
        await #expect(throws: CPSError.cardMute(step: "VERIFY (PIN)", timeout: timeout)) { try await session.verifyPIN("1234") }
        await #expect(throws: CPSError.cardMute(step: "PSO: COMPUTE DIGITAL SIGNATURE", timeout: timeout)) {
            try await session.sign(digest: [UInt8](repeating: 7, count: 32))
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(probe.heldCount == 4)
        // The default deadline is the Vitale reader's.
        #expect(try CPSSession(channel: emulated, atr: emulated.atr).apduTimeout == VitaleReader.Options().apduTimeout)
    }

    @Test func blockedPIN() async throws {
        let image = try Fixtures.image("cps-blocked.json")
        let emulated = EmulatedCard(image: image)
        let session = try CPSSession(channel: emulated, atr: emulated.atr)
        _ = try await session.read()
        #expect(try await session.pinStatus() == .blocked)
        await #expect(throws: CPSError.pinBlocked) { try await session.verifyPIN(image.cps!.pin) }
        await #expect(throws: CPSError.pinBlocked) { try await session.sign(digest: [UInt8](repeating: 1, count: 32)) }
    }
}
