import Crypto

/// The practitioner file of a software signing session (`fse-send --key --practitioner`, `vitaled`'s
/// `softwareSigner`): the billing situation a software P-256 key signs for, in place of a CPS. Absent fields
/// take the defaults of `docs/fse-send.md`.
public struct SoftwarePractitionerFile: Codable, Sendable {
    public var billingNumber: String
    public var situationNumber: UInt8?
    public var practiceMode: UInt8?
    public var conventionCode: UInt8?
    public var specialty: UInt8?
    public var tariffZone: UInt8?
    public var ikZone: UInt8?
    public var maySignInvoice: Bool?
    public var maySignLot: Bool?

    /// The situation this file describes; throws when the billing number is not valid.
    public func situation() throws -> PractitionerSituation {
        PractitionerSituation(
            billingNumber: try BillingNumber(billingNumber), situationNumber: situationNumber ?? 1,
            practiceMode: practiceMode ?? 0, conventionCode: conventionCode ?? 1, specialty: specialty ?? 1,
            tariffZone: tariffZone ?? 10, ikZone: ikZone ?? 0, maySignInvoice: maySignInvoice ?? true,
            maySignLot: maySignLot ?? true)
    }

    /// A software signer with `situation`'s signing rights, marked as a test card (software keys are never a CPS).
    public static func signer(for situation: PractitionerSituation, privateKey: P256.Signing.PrivateKey) -> SoftwareClaimSigner {
        SoftwareClaimSigner(
            privateKey: privateKey, maySignInvoice: situation.maySignInvoice, maySignLot: situation.maySignLot,
            isTestCard: true)
    }
}
