/// The content of a CPS (carte de professionnel de santé) image: the holder (porteur), the situations
/// (situations d'exercice), the PIN (code porteur) and the signing key.
public struct CPSCardImage: Sendable, Hashable {
    /// One situation d'exercice.
    public struct Situation: Sendable, Hashable {
        /// The mode d'exercice (`0` libéral, `1` salarié, `4` remplaçant).
        public var modeExercice: String
        /// The numéro de facturation (8 digits).
        public var billingNumber: String
        /// Its key (Luhn check digit of the 8 digits).
        public var billingKey: String
        /// The code conventionnel (`0`-`3`).
        public var codeConventionnel: String
        /// The code spécialité (`01` médecine générale, `24` infirmier, …).
        public var specialite: String
        /// The zone tarifaire.
        public var zoneTarifaire: String
        /// The zone IK (indemnités kilométriques).
        public var zoneIK: String
        public var maySignInvoice: Bool
        public var maySignLot: Bool
        /// The structure (raison sociale), if any.
        public var structure: String?

        public init(modeExercice: String, billingNumber: String, billingKey: String, codeConventionnel: String, specialite: String,
                    zoneTarifaire: String, zoneIK: String, maySignInvoice: Bool, maySignLot: Bool, structure: String? = nil) {
            self.modeExercice = modeExercice
            self.billingNumber = billingNumber
            self.billingKey = billingKey
            self.codeConventionnel = codeConventionnel
            self.specialite = specialite
            self.zoneTarifaire = zoneTarifaire
            self.zoneIK = zoneIK
            self.maySignInvoice = maySignInvoice
            self.maySignLot = maySignLot
            self.structure = structure
        }
    }

    /// The card type (`0` CPS, `1` CPF, `2` CDE/CPE, `3` CPA, `4` CSA).
    public var cardType: String
    /// The national identifier type (`8` RPPS, `0` ADELI).
    public var nationalIdType: String
    /// The national identifier (`8` + 11-digit RPPS, or `0` + ADELI).
    public var nationalId: String
    public var civility: String
    public var lastName: String
    public var firstName: String
    public var endOfValidity: String
    /// The PIN (code porteur), 4 ASCII digits.
    public var pin: String
    /// Tries left when the card is inserted (0: blocked).
    public var pinTriesLeft: Int
    /// The P-256 private key, 32 bytes (a test card's key, in clear in the image).
    public var signingKey: [UInt8]
    public var certificateNotBefore: String
    public var certificateNotAfter: String
    public var situations: [Situation]

    public init(cardType: String, nationalIdType: String, nationalId: String, civility: String, lastName: String, firstName: String,
                endOfValidity: String, pin: String, pinTriesLeft: Int = 3, signingKey: [UInt8], certificateNotBefore: String,
                certificateNotAfter: String, situations: [Situation]) {
        self.cardType = cardType
        self.nationalIdType = nationalIdType
        self.nationalId = nationalId
        self.civility = civility
        self.lastName = lastName
        self.firstName = firstName
        self.endOfValidity = endOfValidity
        self.pin = pin
        self.pinTriesLeft = pinTriesLeft
        self.signingKey = signingKey
        self.certificateNotBefore = certificateNotBefore
        self.certificateNotAfter = certificateNotAfter
        self.situations = situations
    }
}
