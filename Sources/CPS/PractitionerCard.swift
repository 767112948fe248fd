import ISO7816

/// Everything read from a CPS (carte de professionnel de santé): the holder (porteur), the situations
/// (situations d'exercice) and the signing certificate. Read with ``CPSSession/read()``.
public struct PractitionerCard: Sendable, Hashable, Codable {
    /// The answer to reset, in hex.
    public var atr: String
    /// The holder.
    public var holder: CPSHolder
    /// The situations, in card order (1 to 8).
    public var situations: [CPSSituation]
    /// The signing certificate.
    public var certificate: CPSCertificate

    public init(atr: String, holder: CPSHolder, situations: [CPSSituation], certificate: CPSCertificate) {
        self.atr = atr
        self.holder = holder
        self.situations = situations
        self.certificate = certificate
    }

    /// The situation with `number` (1-based, as on the card).
    public func situation(_ number: Int) -> CPSSituation? { situations.first { $0.number == number } }
}

/// The holder of a CPS (porteur): type of card, national identifier, civility and names.
public struct CPSHolder: Sendable, Hashable, Codable {
    /// Card type: 0 CPS, 1 CPF, 2 CDE/CPE, 3 CPA, 4 CSA.
    public var cardType: String
    /// Type of national identification: `8` RPPS, `0` ADELI.
    public var nationalIdType: String
    /// National identifier: `8` + 11-digit RPPS, or `0` + 9-digit ADELI.
    public var nationalId: String
    /// Civility (`DR`, `M`, `MME`, …).
    public var civility: String
    /// Nom.
    public var lastName: String
    /// Prénom.
    public var firstName: String
    /// True for a test card (its signatures must never be mixed with real ones).
    public var isTestCard: Bool
    /// End of validity, `YYYYMMDD`.
    public var endOfValidity: String

    public init(cardType: String, nationalIdType: String, nationalId: String, civility: String, lastName: String,
                firstName: String, isTestCard: Bool, endOfValidity: String) {
        self.cardType = cardType
        self.nationalIdType = nationalIdType
        self.nationalId = nationalId
        self.civility = civility
        self.lastName = lastName
        self.firstName = firstName
        self.isTestCard = isTestCard
        self.endOfValidity = endOfValidity
    }

    /// The card type's name (`CPS`, `CPF`, …).
    public var cardTypeName: String {
        switch cardType {
        case "0": return "CPS (professionnel de santé)"
        case "1": return "CPF (professionnel en formation)"
        case "2": return "CDE/CPE (directeur, employé)"
        case "3": return "CPA (personnel autorisé)"
        case "4": return "CSA (personnel d'établissement)"
        default: return "type \(cardType)"
        }
    }

    /// `RPPS` or `ADELI`.
    public var nationalIdTypeName: String {
        switch nationalIdType {
        case "8": return "RPPS"
        case "0": return "ADELI"
        default: return "type \(nationalIdType)"
        }
    }
}

/// A situation d'exercice of the holder: how and where they practise, and what they bill with.
public struct CPSSituation: Sendable, Hashable, Codable {
    /// Situation number (1-8).
    public var number: Int
    /// Mode d'exercice: 0 libéral, 1 salarié, 4 remplaçant.
    public var modeExercice: String
    /// Numéro de facturation (8 digits), used to bill.
    public var billingNumber: String
    /// Its key (Luhn check digit of the 8 digits, the project's rule).
    public var billingKey: String
    /// Code conventionnel: 0 non conventionné, 1 secteur 1, 2 avec dépassement, 3 honoraires libres.
    public var codeConventionnel: String
    /// Code spécialité (01 médecine générale, 03 cardiologie, 24 infirmier, …).
    public var specialite: String
    /// Zone tarifaire.
    public var zoneTarifaire: String
    /// Zone IK (indemnités kilométriques).
    public var zoneIK: String
    /// May sign an invoice (FSE).
    public var maySignInvoice: Bool
    /// May sign a lot.
    public var maySignLot: Bool
    /// Structure (raison sociale), when given.
    public var structure: String?

    public init(number: Int, modeExercice: String, billingNumber: String, billingKey: String, codeConventionnel: String,
                specialite: String, zoneTarifaire: String, zoneIK: String, maySignInvoice: Bool, maySignLot: Bool,
                structure: String? = nil) {
        self.number = number
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

    /// The mode d'exercice's name.
    public var modeExerciceName: String {
        switch modeExercice {
        case "0": return "libéral"
        case "1": return "salarié"
        case "4": return "remplaçant"
        default: return "mode \(modeExercice)"
        }
    }

    /// The Luhn check digit of 8 digits (the project's rule for the key of a numéro de facturation).
    public static func luhnKey(_ digits: String) -> String? {
        let values = digits.utf8.map { Int($0) - 0x30 }
        guard values.count == 8, values.allSatisfy({ (0...9).contains($0) }) else { return nil }
        var sum = 0
        for (i, v) in values.reversed().enumerated() {
            if i % 2 == 0 {
                let d = v * 2
                sum += d > 9 ? d - 9 : d
            } else {
                sum += v
            }
        }
        return String((10 - sum % 10) % 10)
    }
}

extension PractitionerCard {
    /// Decodes the contents of the three CPS files (`docs/card-layout.md` 3.3, 3.6), as ``CPSSession/read()``
    /// does after reading them. Pure; never traps on any input (fuzzed).
    public static func decode(atr: [UInt8], holder: [UInt8], situations: [UInt8], certificate: [UInt8]) throws(CPSError) -> PractitionerCard {
        // Damage that stops the end marker search is reported by the parsers, naming the field.
        func content(_ bytes: [UInt8]) -> [UInt8] { ((try? TLV.contentEnd(bytes)) ?? nil).map { Array(bytes[..<$0]) } ?? bytes }
        return PractitionerCard(
            atr: Hex.encode(atr, separator: " "),
            holder: try CPSParser.holder(content(holder)),
            situations: try CPSParser.situations(content(situations)),
            certificate: try CPSCertificate.parse(content(certificate)))
    }
}
