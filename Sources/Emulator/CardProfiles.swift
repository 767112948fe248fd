import Crypto
import ISO7816

/// Builds the file tree and operating system of each kind of card from its image
/// (`docs/card-layout.md` sections 2 and 3).
public enum CardProfiles {
    /// The MF_VITALE DF name.
    public static let mfVitaleAID: [UInt8] = [0xD2, 0x50, 0x00, 0x00, 0x02] + Array("MF_VITALE".utf8)
    /// The VITALE application DF name.
    public static let vitaleAID: [UInt8] = [0xD2, 0x50, 0x00, 0x00, 0x02] + Array("VITALE".utf8)
    /// The CPS application DF name (project's own).
    public static let cpsAID: [UInt8] = [0xD2, 0x50, 0x00, 0x00, 0x03] + Array("OV-CPS".utf8)

    /// File identifiers of the Vitale 2 profile.
    public enum VitaleFID {
        public static let identity: UInt16 = 0xD001
        public static let vitaleApplication: UInt16 = 0x0001
        public static let nir: UInt16 = 0xD002
        public static let rights: UInt16 = 0xD003
    }

    /// File identifiers of the CPS profile.
    public enum CPSFID {
        public static let application: UInt16 = 0x0002
        public static let holder: UInt16 = 0xC001
        public static let situations: UInt16 = 0xC002
        public static let certificate: UInt16 = 0xC003
    }

    /// The PIN reference (VERIFY P2) of the CPS.
    public static let cpsPINReference: UInt8 = 0x01

    /// The card operating system presenting `image`.
    public static func operatingSystem(for image: CardImage) -> CardOS {
        switch image.content {
        case .vitale1:
            return CardOS(fileSystem: CardFileSystem(), personality: .legacyVitale1)
        case .vitale2(let vitale):
            return CardOS(fileSystem: vitaleFileSystem(vitale))
        case .cps(let cps):
            var fs = CardFileSystem()
            fs.add(directory([(cpsAID, "CPS")]))
            let app = fs.add(CardFile(fid: CPSFID.application, name: cpsAID, body: .dedicated))
            fs.add(CardFile(fid: CPSFID.holder, sfi: 1, body: .transparent(padded(holderFile(cps, test: image.isTestCard)))), under: app)
            fs.add(CardFile(fid: CPSFID.situations, sfi: 2, body: .transparent(padded(situationsFile(cps)))), under: app)
            fs.add(CardFile(fid: CPSFID.certificate, sfi: 3, body: .transparent(padded(certificateFile(cps, test: image.isTestCard)))), under: app)
            return CardOS(
                fileSystem: fs,
                pin: CardOS.PIN(reference: cpsPINReference, value: Array(cps.pin.utf8), maxTries: 3, triesLeft: cps.pinTriesLeft),
                signingKey: CardOS.SigningKey(privateKey: cps.signingKey, application: app))
        }
    }

    static func vitaleFileSystem(_ vitale: VitaleCardImage) -> CardFileSystem {
        var fs = CardFileSystem(mfName: mfVitaleAID)
        fs.add(directory([(mfVitaleAID, "MF_VITALE"), (vitaleAID, "VITALE")]))
        fs.add(CardFile(fid: VitaleFID.identity, sfi: 2, body: .transparent(padded(vitale.identityFileOverride ?? identityFile(vitale)))))
        let app = fs.add(CardFile(fid: VitaleFID.vitaleApplication, name: vitaleAID, body: .dedicated))
        fs.add(CardFile(fid: VitaleFID.nir, sfi: 2, body: .transparent(padded(nirFile(vitale)))), under: app)
        fs.add(CardFile(fid: VitaleFID.rights, sfi: 3, body: .transparent(padded(rightsFile(vitale)))), under: app)
        return fs
    }

    /// Pads to the next multiple of 256 bytes with at least one `00`.
    static func padded(_ content: [UInt8]) -> [UInt8] {
        let size = (content.count / 256 + 1) * 256
        return content + [UInt8](repeating: 0, count: size - content.count)
    }

    /// EF.DIR: linear fixed records `61 { 4F AID, 50 label }`.
    static func directory(_ applications: [([UInt8], String)]) -> CardFile {
        var records: [[UInt8]] = []
        for (aid, label) in applications {
            var w = TLVWriter()
            w.appendConstructed(tag: 0x61) { w in
                w.append(tag: 0x4F, value: aid)
                w.append(tag: 0x50, value: Array(label.utf8))
            }
            records.append(w.bytes)
        }
        let length = records.map(\.count).max() ?? 0
        records = records.map { $0 + [UInt8](repeating: 0, count: length - $0.count) }
        return CardFile(fid: 0x2F00, sfi: 30, body: .records(recordLength: length, records))
    }

    // MARK: Vitale 2 files

    /// The identity file content: one `65 { 80 nom, 81 prénom, 82 date }` per beneficiary.
    public static func identityFile(_ vitale: VitaleCardImage) -> [UInt8] {
        var w = TLVWriter(reservingCapacity: 256)
        for b in vitale.beneficiaries {
            w.appendConstructed(tag: 0x65) { w in
                w.append(tag: 0x80, value: Array(b.nomUsuel.utf8))
                w.append(tag: 0x81, value: Array(b.prenom.utf8))
                w.append(tag: 0x82, value: Array(b.dateOfBirth.utf8))
            }
        }
        return w.bytes
    }

    /// The NIR file content: one `65 { 93 NIR }` per beneficiary.
    public static func nirFile(_ vitale: VitaleCardImage) -> [UInt8] {
        var w = TLVWriter(reservingCapacity: 128)
        for b in vitale.beneficiaries {
            w.appendConstructed(tag: 0x65) { w in w.append(tag: 0x93, value: Array(b.nir.utf8)) }
        }
        return w.bytes
    }

    /// The rights file content (project's own layout, `docs/card-layout.md` 2.4).
    public static func rightsFile(_ vitale: VitaleCardImage) -> [UInt8] {
        var w = TLVWriter(reservingCapacity: 512)
        w.appendConstructed(tag: 0x66) { w in w.append(tag: 0x80, value: Array(vitale.startOfValidity.utf8)) }
        let i = vitale.insured
        w.appendConstructed(tag: 0xE1) { w in
            for (tag, value) in [(0xC1, i.regime), (0xC2, i.caisse), (0xC3, i.centre), (0xC4, i.codeGestion),
                                 (0xC5, i.serialNumber), (0xC6, i.endOfValidity), (0xC7, i.nir)] as [(TLVTag, String)] {
                w.append(tag: tag, value: Array(value.utf8))
            }
        }
        for b in vitale.beneficiaries {
            w.appendConstructed(tag: 0xE2) { w in
                func put(_ tag: TLVTag, _ s: String?) { if let s { w.append(tag: tag, value: Array(s.utf8)) } }
                put(0xC1, b.qualite)
                put(0xC2, String(b.rang))
                put(0xC3, b.nir)
                put(0xC4, b.nomUsuel)
                put(0xC5, b.nomPatronymique)
                put(0xC6, b.prenom)
                put(0xC7, b.dateOfBirth)
                for p in b.amoPeriods {
                    w.appendConstructed(tag: 0xE3) { w in
                        w.append(tag: 0xC1, value: Array(p.start.utf8))
                        if let end = p.end { w.append(tag: 0xC2, value: Array(end.utf8)) }
                    }
                }
                for c in b.coverages {
                    w.appendConstructed(tag: 0xE4) { w in
                        w.append(tag: 0xC1, value: Array(c.start.utf8))
                        if let end = c.end { w.append(tag: 0xC2, value: Array(end.utf8)) }
                        w.append(tag: 0xC3, value: [c.ald ? 0x31 : 0x30])
                        w.append(tag: 0xC4, value: Array(c.situation.utf8))
                    }
                }
                for a in b.complementary {
                    w.appendConstructed(tag: 0xE5) { w in
                        w.append(tag: 0xC1, value: Array(a.number.utf8))
                        if let m = a.member { w.append(tag: 0xC2, value: Array(m.utf8)) }
                        w.append(tag: 0xC3, value: Array(a.tiersPayant.utf8))
                        w.append(tag: 0xC4, value: Array(a.start.utf8))
                        if let end = a.end { w.append(tag: 0xC5, value: Array(end.utf8)) }
                        if let r = a.routing { w.append(tag: 0xC6, value: Array(r.utf8)) }
                        if let n = a.name { w.append(tag: 0xC7, value: Array(n.utf8)) }
                    }
                }
            }
        }
        return w.bytes
    }

    // MARK: CPS files

    /// The holder file content (`E1`).
    public static func holderFile(_ cps: CPSCardImage, test: Bool) -> [UInt8] {
        var w = TLVWriter(reservingCapacity: 128)
        w.appendConstructed(tag: 0xE1) { w in
            for (tag, value) in [(0xC1, cps.cardType), (0xC2, cps.nationalIdType), (0xC3, cps.nationalId), (0xC4, cps.civility),
                                 (0xC5, cps.lastName), (0xC6, cps.firstName), (0xC7, test ? "1" : "0"),
                                 (0xC8, cps.endOfValidity)] as [(TLVTag, String)] {
                w.append(tag: tag, value: Array(value.utf8))
            }
        }
        return w.bytes
    }

    /// The situations file content (one `E2` per situation).
    public static func situationsFile(_ cps: CPSCardImage) -> [UInt8] {
        var w = TLVWriter(reservingCapacity: 256)
        for (n, s) in cps.situations.enumerated() {
            w.appendConstructed(tag: 0xE2) { w in
                for (tag, value) in [(0xC1, String(n + 1)), (0xC2, s.modeExercice), (0xC3, s.billingNumber), (0xC4, s.billingKey),
                                     (0xC5, s.codeConventionnel), (0xC6, s.specialite), (0xC7, s.zoneTarifaire), (0xC8, s.zoneIK),
                                     (0xC9, s.maySignInvoice ? "1" : "0"), (0xCA, s.maySignLot ? "1" : "0")] as [(TLVTag, String)] {
                    w.append(tag: tag, value: Array(value.utf8))
                }
                if let structure = s.structure { w.append(tag: 0xCB, value: Array(structure.utf8)) }
            }
        }
        return w.bytes
    }

    /// The certificate body (`7F4E`), the part the authority signs.
    public static func certificateBody(_ cps: CPSCardImage, test: Bool) -> [UInt8] {
        let publicKey = (try? P256.Signing.PrivateKey(rawRepresentation: cps.signingKey).publicKey.x963Representation).map { Array($0) } ?? []
        var w = TLVWriter(reservingCapacity: 192)
        w.appendConstructed(tag: 0x7F4E) { w in
            w.append(tag: 0x80, value: [0x01])
            w.append(tag: 0x81, value: Array(cps.nationalId.utf8))
            w.append(tag: 0x82, value: Array("\(cps.firstName) \(cps.lastName)".utf8))
            w.append(tag: 0x83, value: [0x01])
            w.append(tag: 0x86, value: publicKey)
            w.append(tag: 0x5F25, value: Array(cps.certificateNotBefore.utf8))
            w.append(tag: 0x5F24, value: Array(cps.certificateNotAfter.utf8))
            w.append(tag: 0xC0, value: [test ? 0x01 : 0x00])
        }
        return w.bytes
    }

    /// The certificate file content: `7F21 { 7F4E body, 5F37 signature }`, signed by ``TestCardAuthority``.
    public static func certificateFile(_ cps: CPSCardImage, test: Bool) -> [UInt8] {
        let body = certificateBody(cps, test: test)
        let signature = (try? TestCardAuthority.privateKey.signature(for: body).rawRepresentation).map { Array($0) } ?? []
        var w = TLVWriter(reservingCapacity: 300)
        w.appendConstructed(tag: 0x7F21) { w in
            w.bytes.append(contentsOf: body)
            w.append(tag: 0x5F37, value: signature)
        }
        return w.bytes
    }
}
