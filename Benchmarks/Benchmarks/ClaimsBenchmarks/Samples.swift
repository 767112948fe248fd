import Claims
import Foundation
import Vitale

/// The FSE values the benchmarks encode: a GP consultation with majoration and an ECG, AMC and tiers
/// payant, a child with their own NIR (every optional group present).
enum BenchmarkSamples {
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Fixtures/tariffs").path) { return url }
        }
        fatalError("Fixtures/tariffs not found above \(#filePath)")
    }()

    static let pricer: ClaimPricer = {
        do {
            return ClaimPricer(tariffs: try TariffTable(contentsOfDirectory: repositoryRoot.appendingPathComponent("Fixtures/tariffs")))
        } catch { fatalError("\(error)") }
    }()

    static let situation = PractitionerSituation(billingNumber: try! BillingNumber("991234567"))
    static let organisms = [
        AMOOrganism(regime: 1, fund: 349, centre: 9881, computingCentre: 341),
        AMOOrganism(regime: 2, fund: 123, centre: 1, computingCentre: 456),
        AMOOrganism(regime: 1, fund: 751, centre: 1234, computingCentre: 750),
    ]

    static func fse(number: UInt32, organism: AMOOrganism = organisms[0]) -> FSE {
        let day = try! ClaimDate("2025-03-10")
        let beneficiary = Beneficiary(
            nir: try! NIR("295109912611193"), individualNIR: try! NIR("253072B07300470"),
            birthDate: BirthDate(yyyymmdd: 20220601)!, quality: 6,
            rights: RightsPeriod(start: try! ClaimDate("2024-01-01"), end: try! ClaimDate("2025-12-31"))
        )
        let draft = FSE(
            invoiceNumber: number, invoiceDate: day, practitioner: situation, beneficiary: beneficiary, amo: organism,
            amc: AMCOrganism(number: 88_123_456), parcours: .treatingDoctor, tiersPayant: [.amo, .amc],
            acts: [.ngap("G", majorations: ["MEG"], date: day), .ccam("DEQP003", date: day)]
        )
        return try! pricer.price(draft, today: try! ClaimDate("2025-03-14"))
    }

    static let one = fse(number: 123_456)

    /// `count` FSEs over three destination organisms, with a fixed signature (the per-FSE card signatures
    /// are left out of the lot benchmarks: they cost what the card costs).
    static func invoices(_ count: Int) -> [SignedFSE] {
        let signature = try! ClaimSignature(rawRepresentation: [UInt8](repeating: 0x5A, count: 64))
        return (0..<count).map { index in
            SignedFSE(fse: fse(number: UInt32(index + 1), organism: organisms[index % organisms.count]), signature: signature)
        }
    }
}

/// A Codable mirror of the FSE with the same content, for Foundation's JSONEncoder/JSONDecoder.
struct FSEJSON: Codable, Equatable {
    struct ActJSON: Codable, Equatable {
        var kind: UInt8, code: String, coefficient: UInt16, activity: UInt8, phase: UInt8, quantity: UInt8
        var date: UInt32, majorations: [String]
        var base: UInt32, overcharge: UInt32, total: UInt32, amo: UInt32, amc: UInt32, patient: UInt32
    }
    var invoiceNumber: UInt32, invoiceDate: UInt32, operation: UInt8, correctedNumber: UInt32, correctedDate: UInt32
    var billingNumber: UInt32, situationNumber: UInt8, practiceMode: UInt8, conventionCode: UInt8, specialty: UInt8
    var tariffZone: UInt8, ikZone: UInt8, maySignInvoice: Bool, maySignLot: Bool
    var nir: String, individualNIR: String, birthDate: UInt32, rank: UInt8, quality: UInt8, situationCode: UInt16
    var withoutCard: Bool, rightsStart: UInt32, rightsEnd: UInt32
    var amoRegime: UInt8, amoFund: UInt16, amoCentre: UInt16, amoComputingCentre: UInt16, amcNumber: UInt64
    var insuranceNature: String, parcours: String, exoneration: UInt8, tiersPayantAMO: Bool, tiersPayantAMC: Bool
    var acts: [ActJSON]
    var total: UInt32, base: UInt32, amo: UInt32, amc: UInt32, patient: UInt32, participationForfaitaire: UInt32, amoRate: UInt8

    init(_ f: FSE) {
        invoiceNumber = f.invoiceNumber; invoiceDate = f.invoiceDate.yyyymmdd; operation = f.operation.rawValue
        correctedNumber = f.correctedInvoice?.number ?? 0; correctedDate = f.correctedInvoice?.date.yyyymmdd ?? 0
        let p = f.practitioner
        billingNumber = p.billingNumber.value; situationNumber = p.situationNumber; practiceMode = p.practiceMode
        conventionCode = p.conventionCode; specialty = p.specialty; tariffZone = p.tariffZone; ikZone = p.ikZone
        maySignInvoice = p.maySignInvoice; maySignLot = p.maySignLot
        let b = f.beneficiary
        nir = b.nir.revealed; individualNIR = b.individualNIR?.revealed ?? ""; birthDate = b.birthDate.yyyymmdd
        rank = b.rank; quality = b.quality; situationCode = b.situationCode; withoutCard = b.isWithoutCard
        rightsStart = b.rights?.start.yyyymmdd ?? 0; rightsEnd = b.rights?.end?.yyyymmdd ?? 0
        amoRegime = f.amo.regime; amoFund = f.amo.fund; amoCentre = f.amo.centre; amoComputingCentre = f.amo.computingCentre
        amcNumber = f.amc?.number ?? 0; insuranceNature = f.insuranceNature.code; parcours = String(f.parcours.letter)
        exoneration = f.exoneration.rawValue; tiersPayantAMO = f.tiersPayant.contains(.amo); tiersPayantAMC = f.tiersPayant.contains(.amc)
        acts = f.acts.map { a in
            ActJSON(kind: a.kind.rawValue, code: a.code.description, coefficient: a.coefficient, activity: a.activity,
                    phase: a.phase, quantity: a.quantity, date: a.date.yyyymmdd, majorations: a.majorations.map(\.description),
                    base: a.amounts.base, overcharge: a.overcharge, total: a.amounts.total, amo: a.amounts.amo,
                    amc: a.amounts.amc, patient: a.amounts.patient)
        }
        total = f.totals.total; base = f.totals.base; amo = f.totals.amo; amc = f.totals.amc; patient = f.totals.patient
        participationForfaitaire = f.totals.participationForfaitaire; amoRate = f.totals.amoRate
    }
}

extension Openvitale_Bench_FSE {
    /// The same content as a swift-protobuf message.
    init(_ f: FSE) {
        self.init()
        invoiceNumber = f.invoiceNumber; invoiceDate = f.invoiceDate.yyyymmdd; operation = UInt32(f.operation.rawValue)
        correctedNumber = f.correctedInvoice?.number ?? 0; correctedDate = f.correctedInvoice?.date.yyyymmdd ?? 0
        let p = f.practitioner
        billingNumber = p.billingNumber.value; situationNumber = UInt32(p.situationNumber); practiceMode = UInt32(p.practiceMode)
        conventionCode = UInt32(p.conventionCode); specialty = UInt32(p.specialty); tariffZone = UInt32(p.tariffZone)
        ikZone = UInt32(p.ikZone); maySignInvoice = p.maySignInvoice; maySignLot = p.maySignLot
        let b = f.beneficiary
        nir = b.nir.revealed; individualNir = b.individualNIR?.revealed ?? ""; birthDate = b.birthDate.yyyymmdd
        rank = UInt32(b.rank); quality = UInt32(b.quality); situationCode = UInt32(b.situationCode); withoutCard = b.isWithoutCard
        rightsStart = b.rights?.start.yyyymmdd ?? 0; rightsEnd = b.rights?.end?.yyyymmdd ?? 0
        amoRegime = UInt32(f.amo.regime); amoFund = UInt32(f.amo.fund); amoCentre = UInt32(f.amo.centre)
        amoComputingCentre = UInt32(f.amo.computingCentre); amcNumber = f.amc?.number ?? 0
        insuranceNature = f.insuranceNature.code; parcours = String(f.parcours.letter); exoneration = UInt32(f.exoneration.rawValue)
        tiersPayantAmo = f.tiersPayant.contains(.amo); tiersPayantAmc = f.tiersPayant.contains(.amc)
        acts = f.acts.map { a in
            var m = Openvitale_Bench_Act()
            m.kind = UInt32(a.kind.rawValue); m.code = a.code.description; m.coefficient = UInt32(a.coefficient)
            m.activity = UInt32(a.activity); m.phase = UInt32(a.phase); m.quantity = UInt32(a.quantity); m.date = a.date.yyyymmdd
            m.majorations = a.majorations.map(\.description); m.base = a.amounts.base; m.overcharge = a.overcharge
            m.total = a.amounts.total; m.amo = a.amounts.amo; m.amc = a.amounts.amc; m.patient = a.amounts.patient
            return m
        }
        total = f.totals.total; base = f.totals.base; amo = f.totals.amo; amc = f.totals.amc; patient = f.totals.patient
        participationForfaitaire = f.totals.participationForfaitaire; amoRate = UInt32(f.totals.amoRate)
    }
}
