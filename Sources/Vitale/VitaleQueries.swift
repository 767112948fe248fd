/// Whether a beneficiary is covered by the compulsory insurance (AMO) on a date, and why.
public struct CoverageAnswer: Sendable, Hashable, Codable {
    /// The answer.
    public enum Status: String, Sendable, Hashable, Codable {
        /// An AMO rights period covers the date on a valid card.
        case covered
        /// No AMO rights period covers the date.
        case noRightsOnDate
        /// The card's validity ended before the date (or starts after it).
        case cardNotValidOnDate
        /// The card holds no readable rights (a card without the rights file): ask the insurer (ADRi).
        case unknown
    }

    /// The answer.
    public var status: Status
    /// The rights period that covers the date, when covered.
    public var amoPeriod: DatePeriod?
    /// The coverages (ALD, code situation) in force on the date.
    public var coverages: [Coverage]

    /// True when ``status`` is ``Status/covered``.
    public var isCovered: Bool { status == .covered }
    /// True when a coverage in force on the date carries the ALD exoneration.
    public var hasALD: Bool { coverages.contains { $0.ald } }
}

/// Whether tiers payant (the patient pays nothing of the complementary part) is possible with the
/// beneficiary's complementary insurance on a date.
public struct TiersPayantAnswer: Sendable, Hashable, Codable {
    /// The answer.
    public enum Status: String, Sendable, Hashable, Codable {
        /// A complementary insurance valid on the date allows tiers payant.
        case possible
        /// A complementary insurance is valid on the date but its indicator refuses tiers payant.
        case refusedByIndicator
        /// No complementary insurance is valid on the date.
        case noComplementaryOnDate
        /// The card holds no readable rights.
        case unknown
    }

    /// The answer.
    public var status: Status
    /// The complementary insurance that answers (the one allowing tiers payant when possible, otherwise the
    /// first valid on the date).
    public var insurance: ComplementaryInsurance?

    /// True when ``status`` is ``Status/possible``.
    public var isPossible: Bool { status == .possible }
}

extension VitaleCard {
    /// The insured's beneficiary entry (qualité 0), when the card lists one.
    public var insuredBeneficiary: CardBeneficiary? { beneficiaries.first { $0.qualite?.isInsured == true } }

    /// The beneficiary at a 1-based card position.
    public func beneficiary(at position: Int) -> CardBeneficiary? {
        beneficiaries.first { $0.position == position }
    }

    /// Whether `beneficiary` is covered by the AMO on `date`: the card must be valid on that date and one of
    /// the beneficiary's AMO rights periods must contain it. The coverages in force (ALD, code situation)
    /// come with the answer.
    public func coverage(of beneficiary: CardBeneficiary, on date: CardDate) -> CoverageAnswer {
        guard let card, rightsReadable else { return CoverageAnswer(status: .unknown, amoPeriod: nil, coverages: []) }
        let inForce = beneficiary.coverages.filter { $0.period.contains(date) }
        guard card.isValid(on: date) else {
            return CoverageAnswer(status: .cardNotValidOnDate, amoPeriod: nil, coverages: inForce)
        }
        guard let period = beneficiary.amoPeriods.first(where: { $0.contains(date) }) else {
            return CoverageAnswer(status: .noRightsOnDate, amoPeriod: nil, coverages: inForce)
        }
        return CoverageAnswer(status: .covered, amoPeriod: period, coverages: inForce)
    }

    /// The AMO organism to bill for any beneficiary of this card (the insured's régime, caisse and centre),
    /// nil when the card holds no readable rights.
    public var organismToBill: ManagingOrganism? { insured?.organism }

    /// Whether tiers payant is possible with `beneficiary`'s complementary insurance on `date`.
    public func tiersPayant(for beneficiary: CardBeneficiary, on date: CardDate) -> TiersPayantAnswer {
        guard rightsReadable else { return TiersPayantAnswer(status: .unknown, insurance: nil) }
        let valid = beneficiary.complementaryInsurances.filter { $0.period.contains(date) }
        if let allowing = valid.first(where: { $0.tiersPayant.allowsTiersPayant }) {
            return TiersPayantAnswer(status: .possible, insurance: allowing)
        }
        if let first = valid.first { return TiersPayantAnswer(status: .refusedByIndicator, insurance: first) }
        return TiersPayantAnswer(status: .noComplementaryOnDate, insurance: nil)
    }
}
