/// The numéro de facturation (billing number) of a practitioner's situation: 8 digits and a key digit,
/// stored as the 9-digit integer.
public struct BillingNumber: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The 9 digits as an integer (0...999_999_999).
    public let value: UInt32

    /// Reads 9 digits (8 + key), spaces ignored.
    public init(_ text: some StringProtocol) throws(ClaimValidationError) {
        var value: UInt32 = 0
        var count = 0
        for byte in text.utf8 where byte != 0x20 {
            guard byte >= 0x30, byte <= 0x39, count < 9 else { throw .invalidBillingNumber }
            value = value * 10 + UInt32(byte - 0x30)
            count += 1
        }
        guard count == 9 else { throw .invalidBillingNumber }
        self.value = value
    }

    /// Wraps the integer form; `nil` above 999 999 999.
    @inlinable
    public init?(value: UInt32) {
        guard value <= 999_999_999 else { return nil }
        self.value = value
    }

    /// The 9 digits.
    public var description: String {
        let digits = String(value)
        return String(repeating: "0", count: 9 - digits.count) + digits
    }

    public static func < (lhs: BillingNumber, rhs: BillingNumber) -> Bool { lhs.value < rhs.value }
}

/// A practitioner's billing situation, as read from the CPS (one of its situations): who bills, under which
/// convention and zone, and whether the situation may sign invoices and lots. The CPS decoder maps its
/// card data to this value.
public struct PractitionerSituation: Sendable, Hashable {
    /// Numéro de facturation (8 digits + key).
    public var billingNumber: BillingNumber
    /// The situation's number on the card (1...).
    public var situationNumber: UInt8
    /// Mode d'exercice: 0 libéral, 1 salarié, 4 remplaçant …
    public var practiceMode: UInt8
    /// Code conventionnel: 0 non conventionné, 1 secteur 1, 2 with permanent overcharge right, 3 secteur 2.
    public var conventionCode: UInt8
    /// Code spécialité (01 médecine générale, 03 cardiologie, 24 infirmier …).
    public var specialty: UInt8
    /// Zone tarifaire (2 digits).
    public var tariffZone: UInt8
    /// Zone IK (indemnités kilométriques, 2 digits).
    public var ikZone: UInt8
    /// The card's flag "may sign an invoice".
    public var maySignInvoice: Bool
    /// The card's flag "may sign a lot".
    public var maySignLot: Bool

    public init(
        billingNumber: BillingNumber, situationNumber: UInt8 = 1, practiceMode: UInt8 = 0,
        conventionCode: UInt8 = 1, specialty: UInt8 = 1, tariffZone: UInt8 = 10, ikZone: UInt8 = 0,
        maySignInvoice: Bool = true, maySignLot: Bool = true
    ) {
        self.billingNumber = billingNumber
        self.situationNumber = situationNumber
        self.practiceMode = practiceMode
        self.conventionCode = conventionCode
        self.specialty = specialty
        self.tariffZone = tariffZone
        self.ikZone = ikZone
        self.maySignInvoice = maySignInvoice
        self.maySignLot = maySignLot
    }

    /// Whether this situation may bill above the tariff (dépassement): code conventionnel 0, 2 or 3.
    public var mayOvercharge: Bool { conventionCode != 1 }
}
