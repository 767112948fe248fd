import Claims
import Foundation
import TestSupport
import Vitale

/// Shared fixtures of the Claims tests.
enum Samples {
    static let tariffs: TariffTable = {
        do { return try TariffTable(contentsOfDirectory: RepositoryPaths.fixtures.appendingPathComponent("tariffs")) } catch {
            fatalError("tariff fixtures: \(error)")
        }
    }()
    static let pricer = ClaimPricer(tariffs: tariffs)
    static let today = try! ClaimDate("2025-03-14")
    static let day = try! ClaimDate("2025-03-10")

    static let situation = PractitionerSituation(
        billingNumber: try! BillingNumber("991234567"), conventionCode: 1, specialty: 1, tariffZone: 10
    )
    static let adultNIR = try! NIR("295109912611193")
    static let adult = Beneficiary(
        nir: adultNIR, birthDate: BirthDate(yyyymmdd: 19951015)!,
        rights: RightsPeriod(start: try! ClaimDate("2024-01-01"), end: try! ClaimDate("2025-12-31"))
    )
    static let child = Beneficiary(
        nir: adultNIR, individualNIR: try! NIR("253072B07300470"), birthDate: BirthDate(yyyymmdd: 20220601)!,
        quality: 6, rights: RightsPeriod(start: try! ClaimDate("2024-01-01"), end: nil)
    )
    static let cpam = AMOOrganism(regime: 1, fund: 349, centre: 9881, computingCentre: 341)

    static func fse(
        number: UInt32 = 1, beneficiary: Beneficiary = adult, parcours: ParcoursDeSoins = .treatingDoctor,
        nature: InsuranceNature = .sickness, exoneration: Exoneration = .none, amc: AMCOrganism? = nil,
        tiersPayant: TiersPayant = [], amo: AMOOrganism = cpam, situation: PractitionerSituation = situation,
        acts: [Act]
    ) -> FSE {
        FSE(
            invoiceNumber: number, invoiceDate: day, practitioner: situation, beneficiary: beneficiary, amo: amo,
            amc: amc, insuranceNature: nature, parcours: parcours, exoneration: exoneration, tiersPayant: tiersPayant,
            acts: acts
        )
    }

    /// A priced FSE with a bit of everything (AMC, tiers payant, individual NIR, two acts).
    static func rich(number: UInt32 = 42, amo: AMOOrganism = cpam) -> FSE {
        try! pricer.price(fse(
            number: number, beneficiary: child, amc: AMCOrganism(number: 88_123_456), tiersPayant: [.amo, .amc], amo: amo,
            acts: [.ngap("G", majorations: ["MEG"], date: day), .ccam("DEQP003", date: day)]
        ), today: today)
    }
}
