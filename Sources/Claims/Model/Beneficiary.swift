import Vitale

/// How the beneficiary was identified.
public enum BeneficiaryIdentification: UInt8, Sendable, Hashable {
    /// Read from the carte Vitale (or the appli carte Vitale).
    case vitaleCard = 1
    /// Entered from the attestation de droits, without the card ("FSE sans carte"): degraded path.
    case attestationWithoutCard = 2
}

/// A period of AMO rights (start and end included; an open end is `nil`).
public struct RightsPeriod: Sendable, Hashable {
    public var start: ClaimDate
    public var end: ClaimDate?
    public init(start: ClaimDate, end: ClaimDate?) {
        self.start = start
        self.end = end
    }
    /// Whether `date` falls in the period.
    public func contains(_ date: ClaimDate) -> Bool { date >= start && (end.map { date <= $0 } ?? true) }
}

/// The beneficiary of the care (group 1130): from the Vitale card, or from an attestation de droits with a
/// NIR or a provisional NIA, flagged "without card".
///
/// Personal data: its `description` masks the NIRs and the date of birth.
public struct Beneficiary: Sendable, Hashable, CustomStringConvertible {
    /// The insured's NIR (ouvrant droit), or a provisional NIA.
    public var nir: NIR
    /// The beneficiary's own certified NIR when different from the insured's (group 1160), else `nil`.
    public var individualNIR: NIR?
    /// Date of birth as read (lunar dates kept).
    public var birthDate: BirthDate
    /// Rang de naissance (1 to 3, twins).
    public var rank: UInt8
    /// Qualité: 0 assuré, 1 ascendant …, 2 conjoint, 6 enfant, 9 autre ayant droit.
    public var quality: UInt8
    /// Code situation of the coverage (for instance 0100), 0 when none.
    public var situationCode: UInt16
    /// How the beneficiary was identified.
    public var identification: BeneficiaryIdentification
    /// The AMO rights period from the card or the attestation, `nil` when not known.
    public var rights: RightsPeriod?

    public init(
        nir: NIR, individualNIR: NIR? = nil, birthDate: BirthDate, rank: UInt8 = 1, quality: UInt8 = 0,
        situationCode: UInt16 = 0, identification: BeneficiaryIdentification = .vitaleCard, rights: RightsPeriod? = nil
    ) {
        self.nir = nir
        self.individualNIR = individualNIR
        self.birthDate = birthDate
        self.rank = rank
        self.quality = quality
        self.situationCode = situationCode
        self.identification = identification
        self.rights = rights
    }

    /// A beneficiary entered by hand from the attestation de droits (no card): the NIR or NIA text is
    /// checked, its key included.
    public static func fromAttestation(
        nir text: String, birthDate: BirthDate, rank: UInt8 = 1, quality: UInt8 = 0, rights: RightsPeriod?
    ) throws(ClaimValidationError) -> Beneficiary {
        let nir: NIR
        do { nir = try NIR(text) } catch { throw .invalidNIR(error) }
        return Beneficiary(
            nir: nir, birthDate: birthDate, rank: rank, quality: quality,
            identification: .attestationWithoutCard, rights: rights
        )
    }

    /// `true` when billed without the card.
    public var isWithoutCard: Bool { identification == .attestationWithoutCard }

    public var description: String {
        "Beneficiary(nir: \(nir), birth: \(birthDate), rank: \(rank), quality: \(quality)\(isWithoutCard ? ", without card" : ""))"
    }
}
