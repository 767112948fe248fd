import Claims
import Vitale

/// A person the insurer covers, as its beneficiary base holds them (the project's own model; docs/rights.md):
/// identity (NIR or provisional NIA, date of birth as registered, lunar dates kept, rang, qualité), names, the
/// insured they depend on (ouvrant droit), the AMO organism, the rights periods, the coverages, the
/// complementary contract and the state of their carte Vitale.
///
/// Personal data: ``description`` masks the NIRs and the date of birth and shows no name.
public struct InsuredPerson: Sendable, Hashable, CustomStringConvertible {
    /// The person's own NIR, or a provisional NIA for a newly registered person.
    public var nir: NIR
    /// Date of birth as registered (lunar months 19-25 and day 32 kept).
    public var birthDate: BirthDate
    /// Rang de naissance (1-9; twins have 1 and 2).
    public var rank: UInt8
    /// Qualité (0 assuré, 1 ascendant …, 2 conjoint, 6 enfant, 9 autre ayant droit).
    public var quality: UInt8
    /// The insured (ouvrant droit) whose rights the person has; the person's own NIR when `quality` is 0.
    public var insuredNIR: NIR
    public var lastName: String
    public var firstName: String
    /// Nom de naissance when it differs from ``lastName``.
    public var birthName: String?
    /// The caisse that manages the person, and the computing centre lots go to.
    public var organism: AMOOrganism
    /// AMO rights periods (droits ouverts); none open on a date means rights closed on that date.
    public var rights: [RightsPeriod]
    /// Coverages held (ALD, C2S, maternité, invalidité…), each with its period.
    public var coverages: [Coverage]
    /// The complementary contract, when the insurer knows one.
    public var complementary: ComplementaryContract?
    /// The state of the person's carte Vitale.
    public var card: CardState

    public init(nir: NIR, birthDate: BirthDate, rank: UInt8 = 1, quality: UInt8 = 0, insuredNIR: NIR? = nil,
                lastName: String, firstName: String, birthName: String? = nil, organism: AMOOrganism,
                rights: [RightsPeriod], coverages: [Coverage] = [], complementary: ComplementaryContract? = nil,
                card: CardState = .valid(updated: nil)) {
        self.nir = nir
        self.birthDate = birthDate
        self.rank = rank
        self.quality = quality
        self.insuredNIR = insuredNIR ?? nir
        self.lastName = lastName
        self.firstName = firstName
        self.birthName = birthName
        self.organism = organism
        self.rights = rights
        self.coverages = coverages
        self.complementary = complementary
        self.card = card
    }

    /// Whether AMO rights are open on `date`.
    public func hasRights(on date: ClaimDate) -> Bool { rights.contains { $0.contains(date) } }

    /// The coverages in force on `date`.
    public func coverages(on date: ClaimDate) -> [Coverage] { coverages.filter { $0.period.contains(date) } }

    public var description: String { "InsuredPerson(\(nir.masked), born \(birthDate), rang \(rank))" }

    /// A coverage the person holds for a period.
    public struct Coverage: Sendable, Hashable {
        public var kind: Kind
        public var period: RightsPeriod

        public init(kind: Kind, period: RightsPeriod) {
            self.kind = kind
            self.period = period
        }

        /// What the coverage is (the file's `kind`).
        public enum Kind: String, Sendable, Hashable, CaseIterable {
            /// Affection de longue durée: exonérations 41-46 on the acts related to it.
            case ald
            /// Complémentaire santé solidaire: no participation, tiers payant.
            case c2s
            /// Maternité, from the 6th month: exonération 55.
            case maternity
            /// Pension d'invalidité: exonération.
            case invalidity
            /// Accident du travail / maladie professionnelle.
            case workAccident = "work_accident"
        }

        /// Whether the coverage entitles the person to `exoneration` (exonérations that depend on the act, not
        /// the person — 51, 63, 81, 91 — need no coverage).
        public static func entitles(_ coverages: [Coverage], to exoneration: Exoneration) -> Bool {
            switch exoneration {
            case .none, .actOrCoefficient, .longHospitalStay, .prevention, .exoneratingActs: return true
            case .ald41, .ald42, .ald43, .ald44, .ald45, .ald46: return coverages.contains { $0.kind == .ald || $0.kind == .invalidity }
            case .pregnancy: return coverages.contains { $0.kind == .maternity }
            }
        }
    }

    /// The complementary insurer's contract and how its share is handled.
    public struct ComplementaryContract: Sendable, Hashable {
        public var organism: AMCOrganism
        /// Gestion unique (the AMO forwards the complementary share) or séparée (a DRE to the AMC).
        public var management: Management
        public var period: RightsPeriod

        public init(organism: AMCOrganism, management: Management, period: RightsPeriod) {
            self.organism = organism
            self.management = management
            self.period = period
        }

        public enum Management: String, Sendable, Hashable, CaseIterable {
            /// Gestion unique: one lot, the AMO forwards the AMC share.
            case joint
            /// Gestion séparée: the AMC is billed by a DRE of its own.
            case separate
        }
    }

    /// The person's carte Vitale as the insurer knows it.
    public enum CardState: Sendable, Hashable {
        /// A card in use, last updated on that date when known.
        case valid(updated: ClaimDate?)
        /// A card the insurer has replaced or cancelled: its content is out of date.
        case outdated
        /// No card issued yet (a newly registered person, an NIA).
        case none
    }
}
