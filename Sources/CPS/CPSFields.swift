import ISO7816

/// The children of one constructed TLV of a CPS file, with typed accessors naming the file and field on error.
typealias CPSFields = TLVFields<CPSError>

extension CPSFields {
    func flag(_ tag: TLVTag, _ name: String) throws(CPSError) -> Bool {
        switch try digits(tag, name, length: 1...1) {
        case "0": return false
        case "1": return true
        default: throw fail(name, "must be 0 or 1")
        }
    }

    /// A `YYYYMMDD` calendar date, kept as text.
    func date(_ tag: TLVTag, _ name: String) throws(CPSError) -> String {
        let t = try digits(tag, name, length: 8...8)
        let v = Int(t)!
        let (y, m, d) = (v / 10_000, v / 100 % 100, v % 100)
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(m), d >= 1, d <= days[m - 1] else { throw fail(name, "not a calendar date") }
        return t
    }
}

/// Parsing of the holder and situations files.
enum CPSParser {
    static func holder(_ content: [UInt8]) throws(CPSError) -> CPSHolder {
        let top = try topLevel(content, file: .holder)
        guard let e1 = top.first(where: { $0.tag == 0xE1 }) else {
            throw .invalidField(file: .holder, field: "E1 holder", problem: "missing")
        }
        let f = try CPSFields(e1, file: .holder, path: "E1 holder")
        let idType = try f.digits(0xC2, "C2 national id type", length: 1...1)
        let id = try f.digits(0xC3, "C3 national id", length: 1...20)
        switch idType {
        case "8" where id.count == 12 && id.hasPrefix("8"): break
        case "0" where id.count == 10 && id.hasPrefix("0"): break
        case "8", "0": throw f.fail("C3 national id", "does not match national id type \(idType) (RPPS: 8 + 11 digits, ADELI: 0 + 9 digits)")
        default: break
        }
        return CPSHolder(
            cardType: try f.digits(0xC1, "C1 card type", length: 1...1),
            nationalIdType: idType, nationalId: id,
            civility: try f.text(0xC4, "C4 civility", length: 1...10),
            lastName: try f.text(0xC5, "C5 nom", length: 1...40),
            firstName: try f.text(0xC6, "C6 prénom", length: 1...40),
            isTestCard: try f.flag(0xC7, "C7 test card"),
            endOfValidity: try f.date(0xC8, "C8 end of validity"))
    }

    static func situations(_ content: [UInt8]) throws(CPSError) -> [CPSSituation] {
        var out: [CPSSituation] = []
        for tlv in try topLevel(content, file: .situations) where tlv.tag == 0xE2 {
            let f = try CPSFields(tlv, file: .situations, path: "E2 situation \(out.count + 1)")
            let number = try f.digits(0xC3, "C3 numéro de facturation", length: 8...8)
            let key = try f.digits(0xC4, "C4 key of the numéro de facturation", length: 1...1)
            guard CPSSituation.luhnKey(number) == key else {
                throw f.fail("C4 key of the numéro de facturation", "does not match the numéro (Luhn)")
            }
            out.append(CPSSituation(
                number: Int(try f.digits(0xC1, "C1 situation number", length: 1...1))!,
                modeExercice: try f.digits(0xC2, "C2 mode d'exercice", length: 1...1),
                billingNumber: number, billingKey: key,
                codeConventionnel: try f.digits(0xC5, "C5 code conventionnel", length: 1...1),
                specialite: try f.digits(0xC6, "C6 code spécialité", length: 2...2),
                zoneTarifaire: try f.digits(0xC7, "C7 zone tarifaire", length: 2...2),
                zoneIK: try f.digits(0xC8, "C8 zone IK", length: 2...2),
                maySignInvoice: try f.flag(0xC9, "C9 may sign an invoice"),
                maySignLot: try f.flag(0xCA, "CA may sign a lot"),
                structure: try f.optionalText(0xCB, "CB structure", length: 1...40)))
        }
        guard !out.isEmpty else { throw .invalidField(file: .situations, field: "E2 situation", problem: "no situation") }
        return out
    }

    static func topLevel(_ content: [UInt8], file: CPSFile) throws(CPSError) -> [TLV] {
        do { return try TLV.parseAll(content) } catch {
            throw .corruptedTLV(file: file, offset: error.offset, reason: error.reason.rawValue)
        }
    }
}
