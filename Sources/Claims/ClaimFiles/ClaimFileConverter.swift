import Foundation
import Vitale

/// Every problem of one claim line.
public struct ClaimLineProblems: Error, Sendable {
    public var problems: [ClaimFileProblem]
}

/// A claim file line turned into a priced FSE (its invoice number not yet allocated).
public struct ConvertedClaim: Sendable {
    public var row: ClaimFileRow
    public var fse: FSE
    /// The care date (date des soins) of the row.
    public var careDate: ClaimDate
}

/// Turns claim file rows (docs/claim-files.md) into priced FSEs for a practitioner, checking every field and
/// the claim rules; problems name the file, line and field, never the NIR or birth date in clear.
public struct ClaimFileConverter: Sendable {
    public let practitioner: PractitionerSituation
    public let pricer: ClaimPricer
    public let today: ClaimDate

    public init(practitioner: PractitionerSituation, tariffs: TariffTable, today: ClaimDate = .today()) {
        self.practitioner = practitioner
        self.pricer = ClaimPricer(tariffs: tariffs)
        self.today = today
    }

    /// The longest practice reference a claim may carry (docs/claim-files.md); longer ones are refused, never cut.
    public static let maximumReferenceLength = 32

    public func convert(_ row: ClaimFileRow) -> Result<ConvertedClaim, ClaimLineProblems> {
        var problems: [ClaimFileProblem] = []
        func problem(_ field: String?, _ reason: String) {
            problems.append(ClaimFileProblem(file: row.file, line: row.line, field: field, reason: reason))
        }
        func date(_ field: String) -> ClaimDate? {
            guard let text = row.fields[field] else { return nil }
            do { return try ClaimDate(text) } catch {
                problem(field, "\(EchoedValue.quoted(text)) is not a date YYYY-MM-DD")
                return nil
            }
        }
        func small(_ field: String, _ range: ClosedRange<Int>, default value: Int) -> Int {
            guard let text = row.fields[field] else { return value }
            guard let n = Int(text), range.contains(n) else {
                problem(field, "\(EchoedValue.quoted(text)) must be an integer from \(range.lowerBound) to \(range.upperBound)")
                return value
            }
            return n
        }

        let careDate = date("care_date")
        let invoiceDate = date("invoice_date") ?? careDate
        var nir: NIR?
        if let number = row.fields["nir"], let key = row.fields["nir_key"] {
            do { nir = try NIR(number, key: key) } catch {
                problem(error == .keyMismatch ? "nir_key" : "nir", error.description)
            }
        }
        let birth = row.fields["birth_date"].flatMap { BirthDate($0) }
        if row.fields["birth_date"] != nil && birth == nil {
            problem("birth_date", "not a date YYYY-MM-DD (lunar months 19-25 and day 32 are accepted)")
        }
        if let birth, !birth.isLunar, !row.readFromCard.contains("birth_date"), !birth.existsInTheCalendar {
            problem("birth_date", "day \(birth.day) of month \(birth.month) does not exist (a lunar date has month 19-25 or day 32)")
        }
        if let birth, let careDate {
            let age = birth.age(on: careDate)
            if age < 0 { problem("birth_date", "after the care date") }
            if age > FSE.maximumAge { problem("birth_date", "the beneficiary would be \(age) years old on the care date, over the \(FSE.maximumAge) allowed") }
        }
        if let reference = row.fields["reference"] {
            if reference.count > Self.maximumReferenceLength {
                problem("reference", "\(reference.count) characters, longer than the \(Self.maximumReferenceLength) allowed")
            } else if reference.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0.properties.generalCategory == .format }) {
                problem("reference", "holds control characters")
            }
        }
        let rank = small("rank", 1...9, default: 1)
        let quality = small("quality", 0...9, default: 0)
        var amo: AMOOrganism?
        if let text = row.fields["amo"] {
            if let parsed = AMOOrganism(parsing: text) {
                amo = parsed
            } else {
                problem("amo", "\(EchoedValue.quoted(text)) is not 'RR FFF CCCC' or 'RR FFF CCCC KKK' (régime, caisse, centre, computing centre)")
            }
        }
        var amc: AMCOrganism?
        if let text = row.fields["amc"] {
            if let n = UInt64(text), AMCOrganism(number: n).isWellFormed { amc = AMCOrganism(number: n) } else {
                problem("amc", "\(EchoedValue.quoted(text)) is not an AMC number (1 to 10 digits)")
            }
        }
        var rights: RightsPeriod?
        let rightsStart = date("rights_start"), rightsEnd = date("rights_end")
        if let start = rightsStart { rights = RightsPeriod(start: start, end: rightsEnd) } else if rightsEnd != nil {
            problem("rights_start", "required when rights_end is given")
        }
        var withoutCard = false
        if let text = row.fields["without_card"] {
            switch text.lowercased() {
            case "1", "true", "yes": withoutCard = true
            case "0", "false", "no": withoutCard = false
            default: problem("without_card", "\(EchoedValue.quoted(text)) must be 0 or 1")
            }
        }
        var insurance = InsuranceNature.sickness
        if let text = row.fields["insurance"] {
            if let n = InsuranceNature(code: text.uppercased()) { insurance = n } else {
                problem("insurance", "\(EchoedValue.quoted(text)) is not one of AS, MA, AT, DC, IN, PM")
            }
        }
        var parcours = ParcoursDeSoins.notApplicable
        if let text = row.fields["parcours"] {
            if text.utf8.count == 1, let p = ParcoursDeSoins(rawValue: text.uppercased().utf8.first!) { parcours = p } else {
                problem("parcours", "\(EchoedValue.quoted(text)) is not one of T, N, O, D, U, H, R, J, S")
            }
        }
        var exoneration = Exoneration.none
        if let text = row.fields["exoneration"] {
            if let n = UInt8(text), let e = Exoneration(rawValue: n), e != .none { exoneration = e } else {
                problem("exoneration", "\(EchoedValue.quoted(text)) is not an exonération motive (41-46, 51, 55, 63, 81, 91)")
            }
        }
        var tiersPayant: TiersPayant = []
        if let text = row.fields["tiers_payant"] {
            for part in text.uppercased().split(separator: "+") {
                switch part.trimmingCharacters(in: .whitespaces) {
                case "AMO": tiersPayant.insert(.amo)
                case "AMC": tiersPayant.insert(.amc)
                default: problem("tiers_payant", "\(EchoedValue.quoted(text)) must be AMO, AMC or AMO+AMC")
                }
            }
        }
        var acts: [Act] = []
        if let text = row.fields["acts"], let careDate {
            for (index, token) in text.split(separator: ";", omittingEmptySubsequences: false).enumerated() {
                let code = String(token).trimmingCharacters(in: .whitespaces)
                if code.isEmpty {
                    problem("acts", "act \(index + 1) is empty (acts are separated by one ';')")
                    continue
                }
                switch Self.act(code, date: careDate) {
                case .success(let act): acts.append(act)
                case .failure(let reason): problem("acts", "act \(index + 1): \(reason.description)")
                }
            }
        }
        guard problems.isEmpty, let careDate, let invoiceDate, let nir, let birth, let amo else {
            return .failure(ClaimLineProblems(problems: problems))
        }
        _ = careDate
        let beneficiary = Beneficiary(nir: nir, birthDate: birth, rank: UInt8(rank), quality: UInt8(quality),
                                      identification: withoutCard ? .attestationWithoutCard : .vitaleCard, rights: rights)
        let fse = FSE(invoiceNumber: 1, invoiceDate: invoiceDate, practitioner: practitioner, beneficiary: beneficiary, amo: amo,
                      amc: amc, insuranceNature: insurance, parcours: parcours, exoneration: exoneration, tiersPayant: tiersPayant, acts: acts)
        let priced: FSE
        do { priced = try pricer.price(fse, today: today) } catch {
            problem(nil, error.description)
            return .failure(ClaimLineProblems(problems: problems))
        }
        if let text = row.fields["total_cents"], let expected = Int64(text), expected != Int64(priced.totals.total) {
            problem("total_cents", "\(expected) differs from the priced total \(priced.totals.total)")
        }
        if let text = row.fields["amo_cents"], let expected = Int64(text), expected != Int64(priced.totals.amo) {
            problem("amo_cents", "\(expected) differs from the AMO part \(priced.totals.amo) computed by the rules")
        }
        return problems.isEmpty ? .success(ConvertedClaim(row: row, fse: priced, careDate: careDate)) : .failure(ClaimLineProblems(problems: problems))
    }

    struct Reason: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// One act token: NGAP `CODE[*coef][xqty][+MAJ…]` or CCAM `CODE[/activity/phase]`.
    static func act(_ token: String, date: ClaimDate) -> Result<Act, Reason> {
        guard !token.isEmpty else { return .failure(Reason("empty act")) }
        let isCCAM = token.count >= 7 && token.prefix(7).enumerated().allSatisfy { i, c in i < 4 ? c.isASCII && c.isUppercase : c.isASCII && c.isNumber }
        if isCCAM {
            let parts = token.split(separator: "/", omittingEmptySubsequences: false)
            guard parts[0].count == 7, parts.count == 1 || parts.count == 3 else {
                return .failure(Reason("\(EchoedValue.quoted(token)) is not CODE or CODE/activity/phase"))
            }
            var activity: UInt8 = 1, phase: UInt8 = 0
            if parts.count == 3 {
                guard let a = UInt8(parts[1]), (1...5).contains(a), let p = UInt8(parts[2]), p <= 3 else {
                    return .failure(Reason("\(EchoedValue.quoted(token)): activity 1-5 and phase 0-3"))
                }
                activity = a
                phase = p
            }
            do { return .success(.ccam(try ActCode(parts[0]), activity: activity, phase: phase, date: date)) } catch {
                return .failure(Reason("\(EchoedValue.quoted(parts[0])): \(error)"))
            }
        }
        let pieces = token.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        var head = pieces[0]
        var quantity: UInt8 = 1
        if let x = head.lastIndex(of: "x") {
            guard let q = UInt8(head[head.index(after: x)...]), (1...99).contains(q) else {
                return .failure(Reason("\(EchoedValue.quoted(token)): quantity after 'x' must be 1-99"))
            }
            quantity = q
            head = String(head[..<x])
        }
        var coefficient: UInt16 = 100
        if let star = head.firstIndex(of: "*") {
            let text = head[head.index(after: star)...]
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let whole = UInt16(parts[0]), parts.count == 1 || (1...2).contains(parts[1].count),
                  parts.count == 1 || UInt16(parts[1]) != nil else {
                return .failure(Reason("\(EchoedValue.quoted(token)): coefficient after '*' must be a number with at most two decimals"))
            }
            var hundredths = Int(whole) * 100
            if parts.count == 2 { hundredths += Int(parts[1])! * (parts[1].count == 1 ? 10 : 1) }
            guard hundredths > 0, hundredths <= Int(UInt16.max) else { return .failure(Reason("\(EchoedValue.quoted(token)): coefficient out of range")) }
            coefficient = UInt16(hundredths)
            head = String(head[..<star])
        }
        do {
            let code = try ActCode(head)
            var majorations: [ActCode] = []
            for m in pieces.dropFirst() { majorations.append(try ActCode(m)) }
            guard let set = Majorations(validating: majorations) else {
                return .failure(Reason("\(EchoedValue.quoted(token)): invalid majorations"))
            }
            return .success(.ngap(code, coefficient: coefficient, majorations: set, date: date, quantity: quantity))
        } catch {
            return .failure(Reason("\(EchoedValue.quoted(token)): \(error)"))
        }
    }
}
