/// Totals of an FSE in integer cents, filled by ``ClaimPricer``.
///
/// Identities that always hold: `total = amo + amc + patient`; `amo + participationForfaitaire` is the sum
/// of the acts' AMO shares; `patient − participationForfaitaire` is the sum of the acts' patient shares.
public struct ClaimTotals: Sendable, Hashable {
    /// Total charged.
    public var total: UInt32 = 0
    /// Sum of the bases de remboursement.
    public var base: UInt32 = 0
    /// Paid by the AMO, net of the participation forfaitaire.
    public var amo: UInt32 = 0
    /// Paid by the AMC.
    public var amc: UInt32 = 0
    /// Left to the patient (participation forfaitaire included).
    public var patient: UInt32 = 0
    /// Participation forfaitaire deducted from the AMO share (200 = 2 €, or 0).
    public var participationForfaitaire: UInt32 = 0
    /// The AMO rate applied, in percent (30, 70 or 100).
    public var amoRate: UInt8 = 0
    public init() {}
}

/// The invoice an FSE corrects (facture rectificative).
public struct CorrectedInvoice: Sendable, Hashable {
    public var number: UInt32
    public var date: ClaimDate
    public init(number: UInt32, date: ClaimDate) {
        self.number = number
        self.date = date
    }
}

/// The FSE (feuille de soins électronique): one visit's invoice, as built by the practitioner's software,
/// priced by ``ClaimPricer``, signed through a ``ClaimSigner`` and encoded in the project's own binary
/// format (`docs/fse-format.md`).
///
/// A value type with inline fields: only ``acts`` lives on the heap. Encoding into a reused buffer
/// (``encode(into:)``) allocates nothing.
public struct FSE: Sendable, Hashable {
    /// Numéro de facture (1...999 999 999), unique per practitioner situation.
    public var invoiceNumber: UInt32
    /// Date the invoice was made.
    public var invoiceDate: ClaimDate
    /// Nature of the operation.
    public var operation: OperationNature
    /// The invoice corrected, for ``OperationNature/correction`` only.
    public var correctedInvoice: CorrectedInvoice?
    /// Who bills (group 1120), from the CPS situation.
    public var practitioner: PractitionerSituation
    /// Who was cared for (group 1130).
    public var beneficiary: Beneficiary
    /// The beneficiary's AMO organism (group 1310); its ``AMOOrganism/destination`` chooses the lot.
    public var amo: AMOOrganism
    /// The complementary organism (group 1321), when one takes part.
    public var amc: AMCOrganism?
    /// Nature d'assurance.
    public var insuranceNature: InsuranceNature
    /// Parcours de soins letter.
    public var parcours: ParcoursDeSoins
    /// Exonération motive, or `.none`.
    public var exoneration: Exoneration
    /// Tiers payant: who pays the practitioner directly.
    public var tiersPayant: TiersPayant
    /// Act lines (1...99).
    public var acts: [Act]
    /// Totals (computed by ``ClaimPricer``).
    public var totals: ClaimTotals

    /// The maximum number of act lines in one FSE.
    public static let maximumActs = 99
    /// The oldest a beneficiary may be on an act's date: anything above is a wrong date of birth or care date.
    public static let maximumAge = 130

    public init(
        invoiceNumber: UInt32, invoiceDate: ClaimDate, operation: OperationNature = .invoice,
        correctedInvoice: CorrectedInvoice? = nil, practitioner: PractitionerSituation, beneficiary: Beneficiary,
        amo: AMOOrganism, amc: AMCOrganism? = nil, insuranceNature: InsuranceNature = .sickness,
        parcours: ParcoursDeSoins, exoneration: Exoneration = .none, tiersPayant: TiersPayant = [],
        acts: [Act], totals: ClaimTotals = ClaimTotals()
    ) {
        self.invoiceNumber = invoiceNumber
        self.invoiceDate = invoiceDate
        self.operation = operation
        self.correctedInvoice = correctedInvoice
        self.practitioner = practitioner
        self.beneficiary = beneficiary
        self.amo = amo
        self.amc = amc
        self.insuranceNature = insuranceNature
        self.parcours = parcours
        self.exoneration = exoneration
        self.tiersPayant = tiersPayant
        self.acts = acts
        self.totals = totals
    }

    /// What the AMO pays the practitioner directly (tiers payant AMO), else 0.
    public var amoPayableToPractitioner: UInt32 { tiersPayant.contains(.amo) ? totals.amo : 0 }
    /// What the AMC pays the practitioner directly (tiers payant AMC), else 0.
    public var amcPayableToPractitioner: UInt32 { tiersPayant.contains(.amc) ? totals.amc : 0 }
    /// What the patient pays at the desk: the total less what the insurers pay the practitioner directly.
    public var paidAtDesk: UInt32 { totals.total - amoPayableToPractitioner - amcPayableToPractitioner }
    /// Where the FSE's lot goes.
    public var destination: DestinationOrganism { amo.destination }
}
