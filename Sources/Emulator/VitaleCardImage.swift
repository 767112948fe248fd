/// The content of a carte Vitale 2 image: the card, the insured (assuré) and the beneficiaries
/// (bénéficiaires). Dates are kept as written (`YYYYMMDD`, lunar dates of birth included).
public struct VitaleCardImage: Sendable, Hashable {
    /// The insured (assuré, SESAM-Vitale group 101).
    public struct Insured: Sendable, Hashable {
        /// The code régime (`01` régime général, `02` MSA, …).
        public var regime: String
        /// The caisse gestionnaire (3 digits).
        public var caisse: String
        /// The centre gestionnaire (4 digits).
        public var centre: String
        /// The code gestion (2 digits).
        public var codeGestion: String
        /// The card serial number.
        public var serialNumber: String
        /// The card's end of validity.
        public var endOfValidity: String
        /// The insured's NIR (numéro d'inscription au répertoire), 15 characters with its key.
        public var nir: String

        public init(regime: String, caisse: String, centre: String, codeGestion: String, serialNumber: String, endOfValidity: String, nir: String) {
            self.regime = regime
            self.caisse = caisse
            self.centre = centre
            self.codeGestion = codeGestion
            self.serialNumber = serialNumber
            self.endOfValidity = endOfValidity
            self.nir = nir
        }
    }

    /// A period of rights (période de droits AMO, group 105); `end` nil means open-ended.
    public struct Period: Sendable, Hashable {
        public var start: String
        public var end: String?
        public init(start: String, end: String? = nil) {
            self.start = start
            self.end = end
        }
    }

    /// A coverage (couverture, group 106): its period, the ALD (affection de longue durée) exoneration
    /// indicator and the code situation.
    public struct Coverage: Sendable, Hashable {
        public var start: String
        public var end: String?
        public var ald: Bool
        public var situation: String
        public init(start: String, end: String? = nil, ald: Bool, situation: String) {
            self.start = start
            self.end = end
            self.ald = ald
            self.situation = situation
        }
    }

    /// A complementary insurance (AMC, assurance maladie complémentaire, group 109).
    public struct Complementary: Sendable, Hashable {
        /// The AMC number (numéro d'organisme).
        public var number: String
        /// The member number (numéro d'adhérent).
        public var member: String?
        /// The tiers-payant indicator (`00` none, `01` agreement, `02` regulatory, `62` CMU, `71` leaving CMU).
        public var tiersPayant: String
        public var start: String
        public var end: String?
        /// The routing code (code aiguillage).
        public var routing: String?
        /// The organisation's name.
        public var name: String?
        public init(number: String, member: String? = nil, tiersPayant: String, start: String, end: String? = nil, routing: String? = nil, name: String? = nil) {
            self.number = number
            self.member = member
            self.tiersPayant = tiersPayant
            self.start = start
            self.end = end
            self.routing = routing
            self.name = name
        }
    }

    /// A beneficiary (bénéficiaire, group 104).
    public struct Beneficiary: Sendable, Hashable {
        /// The qualité (`0` assuré, `2` conjoint, `6` enfant, …).
        public var qualite: String
        /// The rang de naissance (1 unless twins or triplets).
        public var rang: Int
        /// The beneficiary's NIR, 15 characters with its key.
        public var nir: String
        /// The nom usuel.
        public var nomUsuel: String
        /// The nom patronymique (birth name).
        public var nomPatronymique: String
        /// The prénom.
        public var prenom: String
        /// The date of birth `YYYYMMDD`, as written (may be lunar).
        public var dateOfBirth: String
        public var amoPeriods: [Period]
        public var coverages: [Coverage]
        public var complementary: [Complementary]

        public init(qualite: String, rang: Int, nir: String, nomUsuel: String, nomPatronymique: String, prenom: String,
                    dateOfBirth: String, amoPeriods: [Period] = [], coverages: [Coverage] = [], complementary: [Complementary] = []) {
            self.qualite = qualite
            self.rang = rang
            self.nir = nir
            self.nomUsuel = nomUsuel
            self.nomPatronymique = nomPatronymique
            self.prenom = prenom
            self.dateOfBirth = dateOfBirth
            self.amoPeriods = amoPeriods
            self.coverages = coverages
            self.complementary = complementary
        }
    }

    /// The card's start of validity.
    public var startOfValidity: String
    public var insured: Insured
    /// 1 to 6 beneficiaries, in card order.
    public var beneficiaries: [Beneficiary]
    /// Raw content of the identity file replacing the one built from the beneficiaries (a corrupted card).
    public var identityFileOverride: [UInt8]?

    public init(startOfValidity: String, insured: Insured, beneficiaries: [Beneficiary], identityFileOverride: [UInt8]? = nil) {
        self.startOfValidity = startOfValidity
        self.insured = insured
        self.beneficiaries = beneficiaries
        self.identityFileOverride = identityFileOverride
    }
}
