import CPS
import Claims
import Crypto

/// A ``ClaimSigner`` backed by the practitioner's CPS card: the card computes every signature (PSO: COMPUTE
/// DIGITAL SIGNATURE over the SHA-256 digest), with the flags of one of its situations.
///
/// PC/SC I/O runs on the connection's own thread (`PCSCCard`), never on the cooperative pool. When the card
/// asks for the PIN again (powered off and on, a lot series interrupted), ``sign(digest:purpose:)`` throws
/// ``ClaimSigningError/pinRequired``: call ``verifyPIN(_:)`` and sign again.
public struct CPSCardSigner: ClaimSigner {
    /// The card session.
    public let session: CPSSession
    /// What was read from the card when the signer was opened.
    public let card: PractitionerCard
    /// The situation whose flags (may sign an invoice / a lot) apply.
    public let situation: CPSSituation
    public let identity: SignerIdentity

    /// Reads the card and chooses situation `situationNumber` (1 = the first situation on the card); presents
    /// `pin` when given. Throws ``CPSError`` for card failures and a wrong or blocked PIN.
    public static func open(session: CPSSession, situationNumber: Int = 1, pin: String? = nil) async throws -> CPSCardSigner {
        let card = try await session.read()
        guard let situation = card.situation(situationNumber) else {
            throw CPSError.invalidField(
                file: .situations, field: "E2 situation \(situationNumber)",
                problem: "the card has \(card.situations.count) situation(s)")
        }
        if let pin { try await session.verifyPIN(pin) }
        return try CPSCardSigner(session: session, card: card, situation: situation)
    }

    /// A signer over an already read card.
    public init(session: CPSSession, card: PractitionerCard, situation: CPSSituation) throws {
        self.session = session
        self.card = card
        self.situation = situation
        self.identity = SignerIdentity(
            publicKey: try ClaimPublicKey(x963Representation: card.certificate.publicKey),
            certificate: card.certificate.encoded,
            maySignInvoice: situation.maySignInvoice, maySignLot: situation.maySignLot,
            isTestCard: card.holder.isTestCard || card.certificate.isTestCard)
    }

    /// Presents the PIN (code porteur); throws ``CPSError/wrongPIN(triesLeft:)`` or ``CPSError/pinBlocked``.
    public func verifyPIN(_ pin: String) async throws(CPSError) { try await session.verifyPIN(pin) }

    /// The PIN state, without using a try.
    public func pinStatus() async throws(CPSError) -> PINStatus { try await session.pinStatus() }

    public func sign(digest: SHA256.Digest, purpose: SigningPurpose) async throws -> ClaimSignature {
        try checkAllowed(purpose)
        let raw: [UInt8]
        do {
            raw = try await session.sign(digest: Array(digest))
        } catch .pinRequired {
            throw ClaimSigningError.pinRequired
        } catch {
            throw ClaimSigningError.cardFailure(error.description)
        }
        return try ClaimSignature(rawRepresentation: raw)
    }
}

extension PractitionerSituation {
    /// The billing situation of a CPS situation read from the card (its fields are checked digits there);
    /// throws when the numéro de facturation and its key do not form a valid one.
    public init(_ situation: CPSSituation) throws {
        self.init(
            billingNumber: try BillingNumber(situation.billingNumber + situation.billingKey),
            situationNumber: UInt8(clamping: situation.number), practiceMode: UInt8(situation.modeExercice) ?? 0,
            conventionCode: UInt8(situation.codeConventionnel) ?? 1, specialty: UInt8(situation.specialite) ?? 1,
            tariffZone: UInt8(situation.zoneTarifaire) ?? 10, ikZone: UInt8(situation.zoneIK) ?? 0,
            maySignInvoice: situation.maySignInvoice, maySignLot: situation.maySignLot)
    }
}
