import ISO7816

/// Decodes the contents of the three Vitale 2 files (`docs/card-layout.md`, 2.3 and 2.4) into a
/// ``VitaleCard``, checking every required field, every NIR key, and that the files agree with each other.
///
/// Pure: no card access. ``VitaleReader`` reads the files and calls it; tests and the fuzz target feed it
/// arbitrary bytes. Never traps on any input.
public enum VitaleDecoder {
    /// Decodes the files. `rights` is nil when the card has no rights file (a real card): the result then
    /// holds identities and NIRs only.
    public static func decode(atr: [UInt8], identity: [UInt8], nir: [UInt8], rights: [UInt8]?) throws(VitaleError) -> VitaleCard {
        let people = try parseIdentity(identity)
        let nirs = try parseNIRs(nir)
        guard !people.isEmpty else {
            throw .invalidField(file: .identity, field: "65 beneficiary", problem: "no beneficiary on the card")
        }
        guard people.count == nirs.count else {
            throw .inconsistentFiles("the identity file lists \(people.count) beneficiaries but the NIR file \(nirs.count)")
        }
        let atrText = Hex.encode(atr, separator: " ")
        guard let rights else {
            let beneficiaries = people.indices.map { i in
                CardBeneficiary(
                    position: i + 1, nomUsuel: people[i].nomUsuel, nomPatronymique: nil, prenom: people[i].prenom,
                    dateOfBirth: people[i].dateOfBirth, rang: nil, qualite: nil, nir: nirs[i])
            }
            return VitaleCard(atr: atrText, card: nil, insured: nil, beneficiaries: beneficiaries)
        }
        let content = try parseRights(rights)
        guard content.beneficiaries.count == people.count else {
            throw .inconsistentFiles(
                "the identity file lists \(people.count) beneficiaries but the rights file \(content.beneficiaries.count)")
        }
        for (i, b) in content.beneficiaries.enumerated() {
            let n = i + 1
            guard b.nir == nirs[i] else {
                throw .inconsistentFiles("beneficiary \(n): the rights file's NIR differs from the NIR file's")
            }
            guard b.nomUsuel == people[i].nomUsuel else {
                throw .inconsistentFiles("beneficiary \(n): the rights file's nom usuel differs from the identity file's")
            }
            guard b.prenom == people[i].prenom else {
                throw .inconsistentFiles("beneficiary \(n): the rights file's prénom differs from the identity file's")
            }
            guard b.dateOfBirth == people[i].dateOfBirth else {
                throw .inconsistentFiles("beneficiary \(n): the rights file's date of birth differs from the identity file's")
            }
        }
        return VitaleCard(atr: atrText, card: content.card, insured: content.insured, beneficiaries: content.beneficiaries)
    }

    // MARK: Files

    /// One `65` of the identity file.
    struct IdentityRecord: Hashable {
        var nomUsuel: String
        var prenom: String
        var dateOfBirth: CardDate
    }

    static func parseIdentity(_ bytes: [UInt8]) throws(VitaleError) -> [IdentityRecord] {
        var out: [IdentityRecord] = []
        for tlv in try topLevel(bytes, file: .identity) where tlv.tag == 0x65 {
            let n = out.count + 1
            let f = try Fields(tlv, file: .identity, path: "beneficiary \(n)")
            out.append(IdentityRecord(
                nomUsuel: try f.text(0x80, "80 nom usuel", length: 1...40),
                prenom: try f.text(0x81, "81 prénom", length: 1...40),
                dateOfBirth: try f.date(0x82, "82 date of birth")))
        }
        return out
    }

    static func parseNIRs(_ bytes: [UInt8]) throws(VitaleError) -> [NIR] {
        var out: [NIR] = []
        for tlv in try topLevel(bytes, file: .nir) where tlv.tag == 0x65 {
            let f = try Fields(tlv, file: .nir, path: "beneficiary \(out.count + 1)")
            out.append(try f.nir(0x93, "93 NIR"))
        }
        return out
    }

    struct RightsContent {
        var card: CardInfo
        var insured: Insured
        var beneficiaries: [CardBeneficiary]
    }

    static func parseRights(_ bytes: [UInt8]) throws(VitaleError) -> RightsContent {
        var startOfValidity: CardDate?
        var insuredFields: Fields?
        var beneficiaries: [CardBeneficiary] = []
        for tlv in try topLevel(bytes, file: .rights) {
            switch tlv.tag {
            case 0x66:
                guard startOfValidity == nil else {
                    throw .invalidField(file: .rights, field: "66 card", problem: "present more than once")
                }
                startOfValidity = try Fields(tlv, file: .rights, path: "66 card").date(0x80, "80 start of validity")
            case 0xE1:
                guard insuredFields == nil else {
                    throw .invalidField(file: .rights, field: "E1 insured", problem: "present more than once")
                }
                insuredFields = try Fields(tlv, file: .rights, path: "E1 insured")
            case 0xE2:
                beneficiaries.append(try parseBeneficiary(tlv, position: beneficiaries.count + 1))
            default:
                continue
            }
        }
        guard let startOfValidity else { throw .invalidField(file: .rights, field: "66 card", problem: "missing") }
        guard let f = insuredFields else { throw .invalidField(file: .rights, field: "E1 insured", problem: "missing") }
        let organism = ManagingOrganism(
            regime: Regime(code: try f.digits(0xC1, "C1 code régime", length: 2...2)),
            caisse: try f.digits(0xC2, "C2 caisse gestionnaire", length: 3...3),
            centre: try f.digits(0xC3, "C3 centre gestionnaire", length: 4...4),
            codeGestion: try f.digits(0xC4, "C4 code gestion", length: 2...2))
        let card = CardInfo(
            serialNumber: try f.digits(0xC5, "C5 card serial number", length: 1...20),
            startOfValidity: startOfValidity,
            endOfValidity: try f.date(0xC6, "C6 end of validity"))
        let insured = Insured(nir: try f.nir(0xC7, "C7 NIR"), organism: organism)
        guard !beneficiaries.isEmpty else {
            throw .invalidField(file: .rights, field: "E2 beneficiary", problem: "no beneficiary")
        }
        return RightsContent(card: card, insured: insured, beneficiaries: beneficiaries)
    }

    static func parseBeneficiary(_ tlv: TLV, position: Int) throws(VitaleError) -> CardBeneficiary {
        let path = "beneficiary \(position)"
        let f = try Fields(tlv, file: .rights, path: "E2 \(path)")
        let rangText = try f.digits(0xC2, "C2 rang de naissance", length: 1...1)
        guard let rang = Int(rangText), rang >= 1 else {
            throw .invalidField(file: .rights, field: "E2 \(path) / C2 rang de naissance", problem: "must be 1 to 9")
        }
        var periods: [DatePeriod] = []
        var coverages: [Coverage] = []
        var amcs: [ComplementaryInsurance] = []
        for child in f.children {
            switch child.tag {
            case 0xE3:
                let p = try Fields(child, file: .rights, path: "E2 \(path) / E3 AMO period \(periods.count + 1)")
                periods.append(DatePeriod(start: try p.date(0xC1, "C1 start"), end: try p.optionalDate(0xC2, "C2 end")))
            case 0xE4:
                let c = try Fields(child, file: .rights, path: "E2 \(path) / E4 coverage \(coverages.count + 1)")
                let period = DatePeriod(start: try c.date(0xC1, "C1 start"), end: try c.optionalDate(0xC2, "C2 end"))
                let ald: Bool
                switch try c.digits(0xC3, "C3 ALD indicator", length: 1...1) {
                case "0": ald = false
                case "1": ald = true
                default: throw .invalidField(file: .rights, field: "\(c.path) / C3 ALD indicator", problem: "must be 0 or 1")
                }
                coverages.append(Coverage(period: period, ald: ald, situation: try c.digits(0xC4, "C4 code situation", length: 4...4)))
            case 0xE5:
                let a = try Fields(child, file: .rights, path: "E2 \(path) / E5 complementary insurance \(amcs.count + 1)")
                amcs.append(ComplementaryInsurance(
                    number: try a.digits(0xC1, "C1 AMC number", length: 1...10),
                    memberNumber: try a.optionalText(0xC2, "C2 member number", length: 1...20),
                    tiersPayant: TiersPayantIndicator(code: try a.digits(0xC3, "C3 tiers-payant indicator", length: 2...2)),
                    period: DatePeriod(start: try a.date(0xC4, "C4 start"), end: try a.optionalDate(0xC5, "C5 end")),
                    routingCode: try a.optionalText(0xC6, "C6 routing code", length: 1...10),
                    name: try a.optionalText(0xC7, "C7 organisation name", length: 1...40)))
            default:
                continue
            }
        }
        for (i, p) in periods.enumerated() where p.end.map({ $0 < p.start }) ?? false {
            throw .invalidField(file: .rights, field: "E2 \(path) / E3 AMO period \(i + 1)", problem: "ends before it starts")
        }
        return CardBeneficiary(
            position: position,
            nomUsuel: try f.text(0xC4, "C4 nom usuel", length: 1...40),
            nomPatronymique: try f.text(0xC5, "C5 nom patronymique", length: 1...40),
            prenom: try f.text(0xC6, "C6 prénom", length: 1...40),
            dateOfBirth: try f.date(0xC7, "C7 date of birth"),
            rang: rang,
            qualite: Qualite(code: try f.digits(0xC1, "C1 qualité", length: 1...1)),
            nir: try f.nir(0xC3, "C3 NIR"),
            amoPeriods: periods, coverages: coverages, complementaryInsurances: amcs)
    }

    // MARK: TLV helpers

    /// The top-level TLVs of a file's content (up to the first `00` tag byte).
    static func topLevel(_ bytes: [UInt8], file: VitaleFile) throws(VitaleError) -> [TLV] {
        do {
            let end = try TLV.contentEnd(bytes)
            guard let end else {
                // Runs to the end of the file: parse all to find where the last TLV breaks.
                let all = try TLV.parseAll(bytes[...])
                return all
            }
            return try TLV.parseAll(bytes[..<end])
        } catch {
            throw .corruptedTLV(file: file, offset: error.offset, reason: error.reason.rawValue)
        }
    }
}

/// The children of one constructed TLV, with typed accessors that report the file and field path on error.
typealias Fields = TLVFields<VitaleError>

extension Fields {
    func optionalDate(_ tag: TLVTag, _ name: String) throws(VitaleError) -> CardDate? {
        guard let v = value(tag) else { return nil }
        do { return try CardDate(ascii: v) } catch { throw fail(name, error.description) }
    }

    func date(_ tag: TLVTag, _ name: String) throws(VitaleError) -> CardDate {
        guard let d = try optionalDate(tag, name) else { throw fail(name, "missing") }
        return d
    }

    func nir(_ tag: TLVTag, _ name: String) throws(VitaleError) -> NIR {
        guard let v = value(tag) else { throw fail(name, "missing") }
        do { return try NIR(asciiBytes: v) } catch {
            throw .invalidNIR(file: file, field: "\(path) / \(name)", problem: error)
        }
    }
}
