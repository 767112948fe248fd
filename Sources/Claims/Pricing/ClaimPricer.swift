/// Validates an FSE and computes its amounts from a ``TariffTable``, in integer cents.
///
/// Rules (see `docs/fse-format.md`, "Pricing rules"):
/// - NGAP act: `round(letter value × coefficient) + Σ majorations`, × quantity. CCAM act: its tariff; in one
///   session (same date) the most expensive CCAM act is paid at 100 %, the second at 50 % (rounded half up);
///   a third is refused.
/// - AMO rate: 100 % when exonerated (any motive) or under nature d'assurance `MA` or `AT`; 30 % outside
///   the parcours de soins (letter `S`); 70 % otherwise. Each act's AMO share is `round(base × rate)`,
///   rounded half up to the cent.
/// - Participation forfaitaire: 2 € once per FSE, taken from the AMO share (never below zero), except for a
///   beneficiary under 18 on the invoice date, under `MA`, or exonerated for ALD (41-46) or pregnancy (55).
///   The 50 € yearly cap is applied by the AMO, which knows the year's history.
/// - AMC share: when an AMC organism is present, it pays the ticket modérateur (base − AMO share before the
///   participation forfaitaire); overcharges and the participation forfaitaire stay with the patient.
/// - Patient share: total − AMO − AMC.
public struct ClaimPricer: Sendable {
    /// The tariffs used.
    public let tariffs: TariffTable
    /// The participation forfaitaire in cents (200 since 15 May 2024).
    public var participationForfaitaire: UInt32 = 200

    public init(tariffs: TariffTable) { self.tariffs = tariffs }

    /// Validates `fse` as of `today` and returns it with every amount filled in.
    public func price(_ fse: FSE, today: ClaimDate) throws(ClaimValidationError) -> FSE {
        var fse = fse
        try validateHeader(fse, today: today)

        // Unit prices and the CCAM association rule.
        var units = [UInt32](repeating: 0, count: fse.acts.count)
        for (index, act) in fse.acts.enumerated() {
            let line = index + 1
            try validate(act, line: line, in: fse, today: today)
            units[index] = try unitPrice(of: act, line: line)
        }
        try applyCCAMAssociation(fse.acts, units: &units)

        let rate = amoRate(for: fse)
        var sumAMO: UInt64 = 0, sumAMC: UInt64 = 0, sumPatient: UInt64 = 0, sumTotal: UInt64 = 0, sumBase: UInt64 = 0
        for index in fse.acts.indices {
            let act = fse.acts[index]
            let base = UInt64(units[index]) * UInt64(act.quantity)
            let total = base + UInt64(act.overcharge)
            let amo = (base * UInt64(rate) + 50) / 100
            let amc: UInt64 = fse.amc != nil ? base - amo : 0
            let patient = total - amo - amc
            guard total <= UInt64(UInt32.max) else { throw .amountOverflow }
            var amounts = ActAmounts()
            amounts.base = UInt32(base)
            amounts.total = UInt32(total)
            amounts.amo = UInt32(amo)
            amounts.amc = UInt32(amc)
            amounts.patient = UInt32(patient)
            fse.acts[index].amounts = amounts
            sumAMO += amo; sumAMC += amc; sumPatient += patient; sumTotal += total; sumBase += base
        }
        guard sumTotal <= UInt64(UInt32.max) else { throw .amountOverflow }
        let pf = participationApplies(to: fse) ? min(UInt64(participationForfaitaire), sumAMO) : 0
        var totals = ClaimTotals()
        totals.total = UInt32(sumTotal)
        totals.base = UInt32(sumBase)
        totals.amo = UInt32(sumAMO - pf)
        totals.amc = UInt32(sumAMC)
        totals.patient = UInt32(sumPatient + pf)
        totals.participationForfaitaire = UInt32(pf)
        totals.amoRate = rate
        fse.totals = totals
        return fse
    }

    /// The insurer's check of a received FSE (the gateway's adjudication): validates it as of `today` (the
    /// day the lot was received), prices it again from the tariffs and compares every amount the FSE states
    /// with the recomputed ones. Returns the recomputed FSE: `totals.amo` is the AMO amount to pay (to the
    /// practitioner under tiers payant AMO, else to the insured).
    public func check(_ received: FSE, today: ClaimDate) throws(ClaimValidationError) -> FSE {
        let expected = try price(received, today: today)
        for index in received.acts.indices where received.acts[index].amounts != expected.acts[index].amounts {
            throw .amountMismatch("act \(index + 1)")
        }
        guard received.totals == expected.totals else { throw .amountMismatch("totals") }
        return expected
    }

    /// The AMO rate in percent for this FSE.
    public func amoRate(for fse: FSE) -> UInt8 {
        if fse.exoneration != .none || fse.insuranceNature == .maternity || fse.insuranceNature == .workAccident { return 100 }
        return fse.parcours.isOutsideParcours ? 30 : 70
    }

    /// Whether the participation forfaitaire is taken on this FSE.
    public func participationApplies(to fse: FSE) -> Bool {
        if fse.beneficiary.birthDate.age(on: fse.invoiceDate) < 18 { return false }
        if fse.insuranceNature == .maternity { return false }
        if fse.exoneration.isALD || fse.exoneration == .pregnancy { return false }
        return true
    }

    // MARK: Validation

    private func validateHeader(_ fse: FSE, today: ClaimDate) throws(ClaimValidationError) {
        guard fse.practitioner.maySignInvoice else { throw .situationMayNotSignInvoices }
        guard (1...FSE.maximumActs).contains(fse.acts.count) else { throw .actCount(fse.acts.count) }
        guard (1...999_999_999).contains(fse.invoiceNumber) else { throw .invalidField("invoice number", "must be 1 to 999999999") }
        guard fse.invoiceDate <= today else { throw .invoiceDateInFuture(date: fse.invoiceDate, today: today) }
        switch (fse.operation, fse.correctedInvoice) {
        case (.invoice, nil): break
        case (.correction, let corrected?):
            guard (1...999_999_999).contains(corrected.number) else { throw .invalidField("corrected invoice number", "must be 1 to 999999999") }
        default: throw .correctedInvoiceMismatch
        }
        if fse.beneficiary.nir.isProvisional || fse.beneficiary.individualNIR?.isProvisional == true,
           fse.beneficiary.identification == .vitaleCard {
            throw .provisionalNIRWithCard
        }
        guard (1...3).contains(fse.beneficiary.rank) else { throw .invalidField("beneficiary rank", "must be 1, 2 or 3") }
        guard fse.beneficiary.quality <= 9 else { throw .invalidField("beneficiary qualité", "must be 0 to 9") }
        guard fse.beneficiary.situationCode <= 9999 else { throw .invalidField("beneficiary code situation", "must be 4 digits") }
        if let rights = fse.beneficiary.rights, let end = rights.end, end < rights.start {
            throw .invalidField("rights period", "ends before it starts")
        }
        guard fse.amo.isWellFormed else { throw .invalidField("AMO organism", "régime 2 digits, caisse 3, centre 4, computing centre 3") }
        if let amc = fse.amc, !amc.isWellFormed { throw .invalidField("AMC number", "1 to 10 digits, not zero") }
        if fse.tiersPayant.contains(.amc), fse.amc == nil { throw .amcMissing }
        guard fse.tiersPayant.rawValue & ~3 == 0 else { throw .invalidField("tiers payant", "unknown flags") }
        let p = fse.practitioner
        guard p.conventionCode <= 3 else { throw .invalidField("code conventionnel", "must be 0 to 3") }
        guard p.specialty <= 99, p.tariffZone <= 99, p.ikZone <= 99, p.practiceMode <= 9 else {
            throw .invalidField("practitioner situation", "spécialité, zones 2 digits, mode d'exercice 1 digit")
        }
    }

    private func validate(_ act: Act, line: Int, in fse: FSE, today: ClaimDate) throws(ClaimValidationError) {
        guard act.date <= today else { throw .actDateInFuture(act: line, date: act.date, today: today) }
        guard act.date <= fse.invoiceDate else { throw .actDateAfterInvoice(act: line, date: act.date) }
        let age = fse.beneficiary.birthDate.age(on: act.date)
        guard age >= 0 else { throw .actBeforeBirth(act: line) }
        guard age <= FSE.maximumAge else { throw .implausibleAge(act: line, years: age) }
        if let rights = fse.beneficiary.rights, !rights.contains(act.date) {
            throw .actDateOutsideRights(act: line, date: act.date)
        }
        guard (1...99).contains(act.quantity) else { throw .invalidField("act \(line) quantity", "must be 1 to 99") }
        if act.overcharge > 0, !fse.practitioner.mayOvercharge { throw .overchargeNotAllowed(act: line) }
        switch act.kind {
        case .ngap:
            guard act.coefficient > 0 else { throw .invalidField("act \(line) coefficient", "must be above 0") }
            guard act.activity == 0, act.phase == 0 else { throw .invalidField("act \(line)", "an NGAP act has no activity or phase") }
        case .ccam:
            guard TariffTable.isCCAMCode(act.code) else { throw .unknownActCode(act: line, code: act.code) }
            guard act.coefficient == 100, act.majorations.isEmpty, act.quantity == 1 else {
                throw .invalidField("act \(line)", "a CCAM act has coefficient 1, quantity 1 and no NGAP majoration")
            }
            guard (1...5).contains(act.activity) else { throw .invalidField("act \(line) activity", "must be 1 to 5") }
            guard act.phase <= 3 else { throw .invalidField("act \(line) phase", "must be 0 to 3") }
        }
    }

    private func unitPrice(of act: Act, line: Int) throws(ClaimValidationError) -> UInt32 {
        let kind: TariffTable.Kind = act.kind == .ngap ? .ngap : .ccam
        guard tariffs.contains(kind, act.code) else { throw .unknownActCode(act: line, code: act.code) }
        guard let entry = tariffs.tariff(kind, act.code, on: act.date) else {
            throw .noTariffOnDate(act: line, code: act.code, date: act.date)
        }
        var unit = UInt64(entry.cents)
        if act.kind == .ngap {
            unit = (unit * UInt64(act.coefficient) + 50) / 100
            for majoration in act.majorations {
                guard tariffs.contains(.majoration, majoration) else { throw .unknownMajoration(act: line, code: majoration) }
                guard let m = tariffs.tariff(.majoration, majoration, on: act.date) else {
                    throw .noTariffOnDate(act: line, code: majoration, date: act.date)
                }
                unit += UInt64(m.cents)
            }
        }
        guard unit <= UInt64(UInt32.max) / 100 else { throw .amountOverflow }
        return UInt32(unit)
    }

    /// In each session (same date), the most expensive CCAM act at 100 %, the next at 50 %.
    private func applyCCAMAssociation(_ acts: [Act], units: inout [UInt32]) throws(ClaimValidationError) {
        var byDate: [ClaimDate: [Int]] = [:]
        for (index, act) in acts.enumerated() where act.kind == .ccam { byDate[act.date, default: []].append(index) }
        for (date, indices) in byDate where indices.count > 1 {
            guard indices.count == 2 else { throw .tooManyCCAMActsInSession(date: date) }
            // The cheaper one (the later line when equal) is the second act.
            let second = units[indices[0]] >= units[indices[1]] ? indices[1] : indices[0]
            units[second] = (units[second] + 1) / 2
        }
    }
}
