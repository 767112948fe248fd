import ISO7816

/// Everything read from a carte Vitale 2: the card, the insured (assuré), the beneficiaries (bénéficiaires)
/// and their rights, as one consistent whole (a read that fails midway throws; it never yields a partial card).
///
/// `Codable` for JSON output: the NIRs encode masked unless the encoder's `userInfo[NIR.revealInEncoding]`
/// is `true` (see ``VitaleCard/jsonEncoder(revealNIRs:)``).
public struct VitaleCard: Sendable, Hashable, Codable {
    /// The answer to reset, in hex (`3B 75 13 00 00 44 09 EA 90 00`).
    public var atr: String
    /// Card data (serial number, validity), nil when the card does not hold the rights file.
    public var card: CardInfo?
    /// The insured and the AMO organism, nil when the card does not hold the rights file.
    public var insured: Insured?
    /// The beneficiaries, in card order (the insured is usually the first, qualité 0).
    public var beneficiaries: [CardBeneficiary]

    /// False when the card answered "file not found" for the rights file (a real card: the project's own
    /// rights layout is not on it, see `docs/card-layout.md`): only identities and NIRs are known, and
    /// questions about rights answer "unknown".
    public var rightsReadable: Bool { card != nil && insured != nil }

    public init(atr: String, card: CardInfo?, insured: Insured?, beneficiaries: [CardBeneficiary]) {
        self.atr = atr
        self.card = card
        self.insured = insured
        self.beneficiaries = beneficiaries
    }
}

/// The card itself (carte): serial number and validity (rights file `66` and group 101).
public struct CardInfo: Sendable, Hashable, Codable {
    /// Card serial number (numéro de série), 1-20 digits.
    public var serialNumber: String
    /// Start of validity.
    public var startOfValidity: CardDate
    /// End of validity.
    public var endOfValidity: CardDate

    public init(serialNumber: String, startOfValidity: CardDate, endOfValidity: CardDate) {
        self.serialNumber = serialNumber
        self.startOfValidity = startOfValidity
        self.endOfValidity = endOfValidity
    }

    /// True when `date` falls between the start and the end of validity (both included).
    public func isValid(on date: CardDate) -> Bool { date >= startOfValidity && date <= endOfValidity }
}

/// The insured (assuré, SESAM-Vitale group 101): the person who opens the rights, and the AMO organism.
public struct Insured: Sendable, Hashable, Codable {
    /// The insured's NIR (masked when printed or encoded, unless revealed).
    public var nir: NIR
    /// The organism that manages the insured's compulsory insurance (and is billed).
    public var organism: ManagingOrganism

    public init(nir: NIR, organism: ManagingOrganism) {
        self.nir = nir
        self.organism = organism
    }
}

/// The managing AMO organism (organisme gestionnaire of the assurance maladie obligatoire): régime, caisse gestionnaire, centre gestionnaire and
/// code gestion; the destination of the compulsory part of a claim.
public struct ManagingOrganism: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Code régime (2 digits).
    public var regime: Regime
    /// Caisse gestionnaire (3 digits).
    public var caisse: String
    /// Centre gestionnaire (4 digits).
    public var centre: String
    /// Code gestion (2 digits).
    public var codeGestion: String

    public init(regime: Regime, caisse: String, centre: String, codeGestion: String) {
        self.regime = regime
        self.caisse = caisse
        self.centre = centre
        self.codeGestion = codeGestion
    }

    /// Régime, caisse and centre as one 9-digit code (`013490001`), the organism's routing key.
    public var code: String { regime.code + caisse + centre }

    /// `01 349 0001 (régime général)`.
    public var description: String {
        "\(regime.code) \(caisse) \(centre)" + (regime.name.map { " (\($0))" } ?? "")
    }
}

/// One beneficiary (bénéficiaire, group 104) with the rights read for that person.
///
/// Printing a beneficiary (`description`, `dump`) shows no name and no NIR in clear; the fields themselves
/// are there for display by the application.
public struct CardBeneficiary: Sendable, Hashable, Codable, CustomStringConvertible, CustomReflectable {
    /// Position on the card, 1-based (the order of the identity, NIR and rights files).
    public var position: Int
    /// Nom usuel (the name in use).
    public var nomUsuel: String
    /// Nom patronymique (birth name); nil when the rights file is not on the card.
    public var nomPatronymique: String?
    /// Prénom.
    public var prenom: String
    /// Date of birth as read (possibly lunar).
    public var dateOfBirth: CardDate
    /// Rang de naissance (1 unless twins or triplets), nil when the rights file is not on the card.
    public var rang: Int?
    /// Qualité (relation to the insured), nil when the rights file is not on the card.
    public var qualite: Qualite?
    /// The beneficiary's NIR (masked when printed or encoded, unless revealed).
    public var nir: NIR
    /// AMO rights periods (group 105).
    public var amoPeriods: [DatePeriod]
    /// Coverages (couverture, group 106): ALD, code situation.
    public var coverages: [Coverage]
    /// Complementary insurances (AMC, group 109).
    public var complementaryInsurances: [ComplementaryInsurance]

    public init(
        position: Int, nomUsuel: String, nomPatronymique: String?, prenom: String, dateOfBirth: CardDate,
        rang: Int?, qualite: Qualite?, nir: NIR, amoPeriods: [DatePeriod] = [], coverages: [Coverage] = [],
        complementaryInsurances: [ComplementaryInsurance] = []
    ) {
        self.position = position
        self.nomUsuel = nomUsuel
        self.nomPatronymique = nomPatronymique
        self.prenom = prenom
        self.dateOfBirth = dateOfBirth
        self.rang = rang
        self.qualite = qualite
        self.nir = nir
        self.amoPeriods = amoPeriods
        self.coverages = coverages
        self.complementaryInsurances = complementaryInsurances
    }

    /// `beneficiary 2 (qualité 2 (conjoint), NIR 2 81 03 ** *** *** **)`: no name, NIR masked.
    public var description: String {
        "beneficiary \(position) (qualité \(qualite.map { "\($0)" } ?? "unknown"), NIR \(nir.masked))"
    }

    /// A mirror without names and with the masked NIR only.
    public var customMirror: Mirror {
        Mirror(self, children: ["position": position, "qualite": qualite as Any, "nir": nir.masked], displayStyle: .struct)
    }
}

/// A coverage (couverture, group 106): a period with its ALD indicator and code situation.
public struct Coverage: Sendable, Hashable, Codable {
    /// When the coverage applies.
    public var period: DatePeriod
    /// Exonération for an affection de longue durée (ALD).
    public var ald: Bool
    /// Code situation (4 digits, for example `0100`).
    public var situation: String

    public init(period: DatePeriod, ald: Bool, situation: String) {
        self.period = period
        self.ald = ald
        self.situation = situation
    }
}

/// A complementary insurance (AMC, assurance maladie complémentaire, group 109): the mutuelle or insurer
/// that pays the part the AMO does not, and whether it accepts tiers payant.
public struct ComplementaryInsurance: Sendable, Hashable, Codable {
    /// AMC number (numéro d'organisme complémentaire), 1-10 digits.
    public var number: String
    /// Member number (numéro d'adhérent), when given.
    public var memberNumber: String?
    /// Tiers-payant indicator.
    public var tiersPayant: TiersPayantIndicator
    /// Period of validity.
    public var period: DatePeriod
    /// Routing code (code aiguillage), when given.
    public var routingCode: String?
    /// Organisation name, when given.
    public var name: String?

    public init(
        number: String, memberNumber: String? = nil, tiersPayant: TiersPayantIndicator, period: DatePeriod,
        routingCode: String? = nil, name: String? = nil
    ) {
        self.number = number
        self.memberNumber = memberNumber
        self.tiersPayant = tiersPayant
        self.period = period
        self.routingCode = routingCode
        self.name = name
    }
}
