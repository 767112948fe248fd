import CPS
import Foundation
import Vitale

/// Text tables for people.
enum Rendering {
    /// Aligns rows in columns separated by two spaces.
    static func table(_ rows: [[String]], indent: String = "  ") -> String {
        guard let width = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: width)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            indent + row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func period(_ p: DatePeriod) -> String { "\(p.start) → \(p.end.map { "\($0)" } ?? "open")" }

    static func nir(_ nir: NIR, reveal: Bool) -> String { reveal ? nir.revealedFormatted : nir.masked }

    static func vitale(_ card: VitaleCard, reader: String, reveal: Bool, on day: CardDate) -> String {
        var out = "Carte Vitale 2 in \"\(reader)\"\n"
        var head: [[String]] = [["ATR", card.atr]]
        if let info = card.card {
            head.append(["Serial number", info.serialNumber])
            head.append(["Validity", "\(info.startOfValidity) → \(info.endOfValidity)\(info.isValid(on: day) ? "" : "  (not valid on \(day))")"])
        }
        if let insured = card.insured {
            head.append(["Insured NIR", nir(insured.nir, reveal: reveal)])
            head.append(["Organism to bill", "\(insured.organism), code gestion \(insured.organism.codeGestion)"])
        } else {
            head.append(["Rights", "not readable from this card (identities and NIRs only)"])
        }
        out += table(head) + "\n\n"
        var rows: [[String]] = [["#", "Qualité", "Nom usuel", "Nom patronymique", "Prénom", "Né(e) le", "Rang", "NIR"]]
        for b in card.beneficiaries {
            rows.append([
                String(b.position), b.qualite.map { "\($0)" } ?? "-", b.nomUsuel, b.nomPatronymique ?? "-", b.prenom,
                b.dateOfBirth.description + (b.dateOfBirth.isLunar ? " (lunar)" : ""), b.rang.map(String.init) ?? "-",
                nir(b.nir, reveal: reveal),
            ])
        }
        out += "Beneficiaries\n" + table(rows) + "\n"
        guard card.rightsReadable else { return out }
        for b in card.beneficiaries {
            out += "\nRights of beneficiary \(b.position) (\(b.prenom) \(b.nomUsuel))\n"
            var r: [[String]] = []
            for p in b.amoPeriods { r.append(["AMO rights", period(p)]) }
            if b.amoPeriods.isEmpty { r.append(["AMO rights", "none"]) }
            for c in b.coverages {
                r.append(["Coverage", "\(period(c.period)), situation \(c.situation), ALD \(c.ald ? "yes" : "no")"])
            }
            for a in b.complementaryInsurances {
                var text = "AMC \(a.number)"
                if let name = a.name { text += " \(name)" }
                text += ", \(period(a.period)), tiers payant \(a.tiersPayant)"
                if let m = a.memberNumber { text += ", member \(m)" }
                if let rc = a.routingCode { text += ", routing \(rc)" }
                r.append(["Complementary", text])
            }
            let coverage = card.coverage(of: b, on: day)
            let covered: String
            switch coverage.status {
            case .covered: covered = "yes" + (coverage.hasALD ? " (ALD)" : "")
            case .noRightsOnDate: covered = "no: no AMO rights on that date"
            case .cardNotValidOnDate: covered = "no: the card is not valid on that date"
            case .unknown: covered = "unknown"
            }
            r.append(["Covered on \(day)", covered])
            let tp = card.tiersPayant(for: b, on: day)
            let tpText: String
            switch tp.status {
            case .possible: tpText = "possible with AMC \(tp.insurance!.number)"
            case .refusedByIndicator: tpText = "no: indicator \(tp.insurance!.tiersPayant)"
            case .noComplementaryOnDate: tpText = "no complementary insurance on that date"
            case .unknown: tpText = "unknown"
            }
            r.append(["Tiers payant AMC", tpText])
            out += table(r) + "\n"
        }
        return out
    }

    static func cps(_ card: PractitionerCard, reader: String, pin: PINStatus?) -> String {
        let h = card.holder
        var out = "CPS in \"\(reader)\"\n"
        var head: [[String]] = [
            ["ATR", card.atr],
            ["Card type", h.cardTypeName + (h.isTestCard ? " — TEST CARD" : "")],
            ["Holder", "\(h.civility) \(h.firstName) \(h.lastName)"],
            ["National id", "\(h.nationalIdTypeName) \(h.nationalId)"],
            ["End of validity", h.endOfValidity],
            ["Certificate", "\(card.certificate.notBefore) → \(card.certificate.notAfter), "
                + (card.certificate.issuedByTestAuthority ? "issued by the OpenVitale test card authority" : "issuer not recognised")],
        ]
        if let pin { head.append(["PIN", pin.description]) }
        out += table(head) + "\n\nSituations\n"
        var rows: [[String]] = [["#", "Mode", "N° facturation", "Conv.", "Spécialité", "Zone tarif.", "Zone IK", "Signs FSE", "Signs lot", "Structure"]]
        for s in card.situations {
            rows.append([
                String(s.number), s.modeExerciceName, "\(s.billingNumber)-\(s.billingKey)", s.codeConventionnel, s.specialite,
                s.zoneTarifaire, s.zoneIK, s.maySignInvoice ? "yes" : "no", s.maySignLot ? "yes" : "no", s.structure ?? "-",
            ])
        }
        return out + table(rows) + "\n"
    }
}
