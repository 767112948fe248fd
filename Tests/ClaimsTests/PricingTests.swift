import Claims
import Testing
import Vitale

@Suite("Pricing")
struct PricingTests {
    let pricer = Samples.pricer
    let day = Samples.day

    @Test func consultationWithTreatingDoctorPays1900() throws {
        let fse = try pricer.price(Samples.fse(acts: [.ngap("G", date: day)]), today: Samples.today)
        #expect(fse.totals.total == 3000)
        #expect(fse.totals.amo == 1900)
        #expect(fse.totals.participationForfaitaire == 200)
        #expect(fse.totals.amc == 0)
        #expect(fse.totals.patient == 1100)
        #expect(fse.totals.amoRate == 70)
    }

    @Test func outsideParcoursIs30Percent() throws {
        let fse = try pricer.price(Samples.fse(parcours: .outside, acts: [.ngap("G", date: day)]), today: Samples.today)
        #expect(fse.totals.amoRate == 30)
        #expect(fse.totals.amo == 900 - 200)
        #expect(fse.totals.patient == 3000 - 700)
    }

    @Test func exoneratedIs100PercentAndALDHasNoParticipation() throws {
        let ald = try pricer.price(Samples.fse(exoneration: .ald41, acts: [.ngap("G", date: day)]), today: Samples.today)
        #expect(ald.totals.amo == 3000)
        #expect(ald.totals.participationForfaitaire == 0)
        #expect(ald.totals.patient == 0)
        // Another exoneration motive: 100 %, participation forfaitaire still taken.
        let prevention = try pricer.price(Samples.fse(exoneration: .prevention, acts: [.ngap("G", date: day)]), today: Samples.today)
        #expect(prevention.totals.amo == 2800)
        let maternity = try pricer.price(Samples.fse(nature: .maternity, acts: [.ngap("G", date: day)]), today: Samples.today)
        #expect(maternity.totals.amo == 3000)
    }

    @Test func childUnderSixWithMEGHasNoParticipation() throws {
        let fse = try pricer.price(Samples.fse(beneficiary: Samples.child, acts: [.ngap("G", majorations: ["MEG"], date: day)]), today: Samples.today)
        #expect(fse.totals.total == 3500)
        #expect(fse.totals.amo == 2450)
        #expect(fse.totals.participationForfaitaire == 0)
        #expect(fse.totals.patient == 1050)
    }

    @Test func secondCCAMActIsHalfPrice() throws {
        let fse = try pricer.price(Samples.fse(acts: [.ccam("DEQP003", date: day), .ccam("GLQP012", date: day)]), today: Samples.today)
        // Spirometry (41.08) is the main act, the ECG (14.52) the second one at 50 %.
        #expect(fse.acts[1].amounts.base == 4108)
        #expect(fse.acts[0].amounts.base == 726)
        #expect(fse.totals.total == 4834)
        #expect(fse.totals.amo == (726 * 70 + 50) / 100 + (4108 * 70 + 50) / 100 - 200)
        // Different days: both at 100 %.
        let other = try ClaimDate("2025-03-11")
        let split = try pricer.price(Samples.fse(acts: [.ccam("DEQP003", date: day), .ccam("GLQP012", date: other)]).with(invoiceDate: other), today: Samples.today)
        #expect(split.totals.total == 1452 + 4108)
        #expect(throws: ClaimValidationError.tooManyCCAMActsInSession(date: day)) {
            try pricer.price(Samples.fse(acts: [.ccam("DEQP003", date: day), .ccam("GLQP012", date: day), .ccam("CAGD001", date: day)]), today: Samples.today)
        }
    }

    @Test func amcPaysTheTicketModerateurAndTiersPayant() throws {
        let fse = try pricer.price(Samples.fse(amc: AMCOrganism(number: 12_345_678), tiersPayant: [.amo, .amc], acts: [.ngap("G", date: day)]), today: Samples.today)
        #expect(fse.totals.amo == 1900)
        #expect(fse.totals.amc == 900)
        #expect(fse.totals.patient == 200)
        #expect(fse.paidAtDesk == 200)
        #expect(fse.amoPayableToPractitioner == 1900)
    }

    @Test func insurerCheckRecomputesAndRefusesWrongAmounts() throws {
        let fse = Samples.rich()
        let checked = try pricer.check(fse, today: Samples.today)
        #expect(checked == fse)
        var inflated = fse
        inflated.acts[0].amounts.amo += 100
        inflated.acts[0].amounts.amc -= 100
        inflated.totals.amo += 100
        inflated.totals.amc -= 100
        #expect(throws: ClaimValidationError.amountMismatch("act 1")) { try pricer.check(inflated, today: Samples.today) }
        var totals = fse
        totals.totals.participationForfaitaire = 200
        #expect(throws: ClaimValidationError.amountMismatch("totals")) { try pricer.check(totals, today: Samples.today) }
    }

    @Test func coefficientsQuantitiesDatedTariffsAndOvercharge() throws {
        let coe = try pricer.price(Samples.fse(beneficiary: Samples.child, acts: [.ngap("COE", date: day)]), today: Samples.today)
        #expect(coe.totals.total == 5400)
        let july = try ClaimDate("2025-07-02")
        let later = try pricer.price(Samples.fse(beneficiary: Samples.child, acts: [.ngap("COE", date: july)]).with(invoiceDate: july), today: july)
        #expect(later.totals.total == 6000)
        let half = try pricer.price(Samples.fse(acts: [.ngap("G", coefficient: 50, date: day, quantity: 2)]), today: Samples.today)
        #expect(half.totals.base == 3000)
        var sector2 = Samples.situation
        sector2.conventionCode = 3
        let over = try pricer.price(Samples.fse(situation: sector2, acts: [.ngap("G", date: day, overcharge: 2000)]), today: Samples.today)
        #expect(over.totals.total == 5000)
        #expect(over.totals.amo == 1900)
        #expect(over.totals.patient == 3100)
    }
}

@Suite("Validation")
struct ValidationTests {
    let pricer = Samples.pricer
    let day = Samples.day

    @Test func unknownActCode() {
        #expect(throws: ClaimValidationError.unknownActCode(act: 2, code: "XYZ")) {
            try pricer.price(Samples.fse(acts: [.ngap("G", date: day), .ngap("XYZ", date: day)]), today: Samples.today)
        }
        #expect(throws: ClaimValidationError.unknownActCode(act: 1, code: "ZZZZ999")) {
            try pricer.price(Samples.fse(acts: [.ccam("ZZZZ999", date: day)]), today: Samples.today)
        }
        #expect(throws: ClaimValidationError.unknownMajoration(act: 1, code: "MZZ")) {
            try pricer.price(Samples.fse(acts: [.ngap("G", majorations: ["MZZ"], date: day)]), today: Samples.today)
        }
    }

    @Test func actDateInFutureOrOutsideRights() throws {
        let future = try ClaimDate("2025-03-20")
        #expect(throws: ClaimValidationError.actDateInFuture(act: 1, date: future, today: Samples.today)) {
            try pricer.price(Samples.fse(acts: [.ngap("G", date: future)]).with(invoiceDate: Samples.today), today: Samples.today)
        }
        let expired = Beneficiary(nir: Samples.adultNIR, birthDate: Samples.adult.birthDate,
                                  rights: RightsPeriod(start: try ClaimDate("2024-01-01"), end: try ClaimDate("2024-12-31")))
        #expect(throws: ClaimValidationError.actDateOutsideRights(act: 1, date: day)) {
            try pricer.price(Samples.fse(beneficiary: expired, acts: [.ngap("G", date: day)]), today: Samples.today)
        }
        let early = try ClaimDate("2024-11-01")
        #expect(throws: ClaimValidationError.noTariffOnDate(act: 1, code: "G", date: early)) {
            try pricer.price(Samples.fse(acts: [.ngap("G", date: early)]), today: Samples.today)
        }
    }

    @Test func nirKeyWrongWhenEnteredFromAttestation() throws {
        #expect(throws: ClaimValidationError.invalidNIR(.keyMismatch)) {
            try Beneficiary.fromAttestation(nir: "295109912611199", birthDate: BirthDate(yyyymmdd: 19951015)!, rights: nil)
        }
        let error = ClaimValidationError.invalidNIR(.keyMismatch)
        #expect(!error.description.contains("2951099"))
        // A provisional NIA is billed without card; with a card it is refused.
        let nia = try NIR("7901299123456", key: "59")
        let withoutCard = try Beneficiary.fromAttestation(nir: nia.revealed, birthDate: BirthDate(yyyymmdd: 19900101)!, rights: nil)
        #expect(withoutCard.isWithoutCard)
        #expect(try pricer.price(Samples.fse(beneficiary: withoutCard, acts: [.ngap("G", date: day)]), today: Samples.today).totals.amo == 1900)
        var withCard = withoutCard
        withCard.identification = .vitaleCard
        #expect(throws: ClaimValidationError.provisionalNIRWithCard) {
            try pricer.price(Samples.fse(beneficiary: withCard, acts: [.ngap("G", date: day)]), today: Samples.today)
        }
    }

    @Test func situationNotAllowedToSignInvoices() {
        var situation = Samples.situation
        situation.maySignInvoice = false
        #expect(throws: ClaimValidationError.situationMayNotSignInvoices) {
            try pricer.price(Samples.fse(situation: situation, acts: [.ngap("G", date: day)]), today: Samples.today)
        }
    }

    @Test func otherRules() {
        #expect(throws: ClaimValidationError.actCount(0)) { try pricer.price(Samples.fse(acts: []), today: Samples.today) }
        #expect(throws: ClaimValidationError.overchargeNotAllowed(act: 1)) {
            try pricer.price(Samples.fse(acts: [.ngap("G", date: day, overcharge: 500)]), today: Samples.today)
        }
        #expect(throws: ClaimValidationError.amcMissing) {
            try pricer.price(Samples.fse(tiersPayant: [.amc], acts: [.ngap("G", date: day)]), today: Samples.today)
        }
    }

    @Test func tariffFileErrorsNameTheLine() {
        #expect(throws: TariffTableError(source: "t", line: 2, message: "amount 30,00 is not euros with 2 decimals (30.00)")) {
            try TariffTable(parsing: "# header\nNGAP G 2024-12-22 30,00 x", source: "t")
        }
        #expect(throws: TariffTableError.self) { try TariffTable(parsing: "FOO G 2024-12-22 30.00", source: "t") }
        #expect(throws: TariffTableError.self) { try TariffTable(parsing: "CCAM G 2024-12-22 30.00", source: "t") }
        #expect(throws: TariffTableError.self) { try TariffTable(parsing: "NGAP G 2024-02-30 30.00", source: "t") }
    }
}

extension FSE {
    func with(invoiceDate: ClaimDate) -> FSE {
        var copy = self
        copy.invoiceDate = invoiceDate
        return copy
    }
}
