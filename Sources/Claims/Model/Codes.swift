/// The nature d'assurance (B2 code) under which the care is billed.
public enum InsuranceNature: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `AS`: assurance maladie.
    case sickness = 0x4153
    /// `MA`: maternité.
    case maternity = 0x4D41
    /// `AT`: accident du travail / maladie professionnelle.
    case workAccident = 0x4154
    /// `DC`: décès.
    case death = 0x4443
    /// `IN`: invalidité.
    case invalidity = 0x494E
    /// `PM`: prévention.
    case prevention = 0x504D

    /// The two-letter code (`AS`, `MA` …).
    public var code: String { String(decoding: [UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)], as: UTF8.self) }
    public var description: String { code }

    /// Reads a two-letter code.
    public init?(code: String) {
        let bytes = Array(code.utf8)
        guard bytes.count == 2 else { return nil }
        self.init(rawValue: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
    }
}

/// The parcours de soins letter transmitted with the invoice.
public enum ParcoursDeSoins: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Blank: the parcours de soins does not apply (not subject to it).
    case notApplicable = 0x20
    /// `T`: the médecin traitant.
    case treatingDoctor = 0x54
    /// `N`: a new médecin traitant.
    case newTreatingDoctor = 0x4E
    /// `O`: referred by the médecin traitant (orienté).
    case referred = 0x4F
    /// `D`: specific direct access.
    case directAccess = 0x44
    /// `U`: emergency.
    case emergency = 0x55
    /// `H`: away from home (hors résidence).
    case awayFromHome = 0x48
    /// `R`: replacing the médecin traitant.
    case replacingTreatingDoctor = 0x52
    /// `J`: young GP newly installed.
    case newlyInstalledGP = 0x4A
    /// `S`: outside the parcours (without médecin traitant, outside coordination): the AMO rate drops to 30 %.
    case outside = 0x53

    /// The letter (a space for ``notApplicable``).
    public var letter: Character { Character(Unicode.Scalar(rawValue)) }
    public var description: String { self == .notApplicable ? "blank" : String(letter) }

    /// `true` only for ``outside``: every other letter (and blank) keeps the 70 % rate.
    public var isOutsideParcours: Bool { self == .outside }
}

/// The exonération motive (ticket modérateur waived), or none.
public enum Exoneration: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case none = 0
    /// 41-46: affection de longue durée (ALD) variants.
    case ald41 = 41, ald42 = 42, ald43 = 43, ald44 = 44, ald45 = 45, ald46 = 46
    /// 51: act or coefficient exonerating by itself.
    case actOrCoefficient = 51
    /// 55: pregnancy from the 6th month.
    case pregnancy = 55
    /// 63: hospital stay over 30 days.
    case longHospitalStay = 63
    /// 81: prevention.
    case prevention = 81
    /// 91: exonerating acts.
    case exoneratingActs = 91

    /// `true` for 41-46.
    public var isALD: Bool { (41...46).contains(rawValue) }
    public var description: String { self == .none ? "none" : String(rawValue) }
}

/// The nature of the operation (what the FSE does).
public enum OperationNature: UInt8, Sendable, Hashable, CaseIterable {
    /// 1: an invoice.
    case invoice = 1
    /// 2: a correction (facture rectificative) of an earlier invoice, named in ``FSE/correctedInvoice``.
    case correction = 2
}

/// Who is paid directly by whom (tiers payant): the AMO, the AMC, both, or neither.
public struct TiersPayant: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The AMO pays the practitioner directly.
    public static let amo = TiersPayant(rawValue: 1)
    /// The AMC pays the practitioner directly (DRE).
    public static let amc = TiersPayant(rawValue: 2)
}

/// The kind of an act line.
public enum ActKind: UInt8, Sendable, Hashable {
    /// NGAP: a key letter × a coefficient, with majorations.
    case ngap = 1
    /// CCAM: a 7-character code with activity and phase.
    case ccam = 2
}
