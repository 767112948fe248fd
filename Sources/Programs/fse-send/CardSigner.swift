import CPS
import Claims
import Crypto
import Foundation
import ISO7816
import PCSC

/// A ``ClaimSigner`` over the CPS in a PC/SC reader: the card signs each digest (PSO: COMPUTE DIGITAL
/// SIGNATURE) after the PIN was verified once for the run.
final class CPSCardSigner: ClaimSigner, @unchecked Sendable {
    let identity: SignerIdentity
    let situation: PractitionerSituation
    let session: CPSSession
    let context: PCSCContext

    private init(identity: SignerIdentity, situation: PractitionerSituation, session: CPSSession, context: PCSCContext) {
        self.identity = identity
        self.situation = situation
        self.session = session
        self.context = context
    }

    /// Connects to the CPS in `reader`, reads it, chooses `situationNumber` (or the first that may sign) and
    /// verifies `pin`.
    static func open(reader: String, pin: String, situationNumber: Int?) async throws -> CPSCardSigner {
        let context: PCSCContext
        do { context = try await PCSCContext() } catch {
            throw SignerUnavailable(message: "PC/SC unavailable: \(error)")
        }
        let card: PCSCCard
        do { card = try await context.connect(to: reader) } catch {
            throw SignerUnavailable(message: "reader '\(reader)': no card or no reader (\(error))")
        }
        do {
            let session = try CPSSession(channel: card, atr: try await card.atr())
            let cps = try await session.read()
            let chosen = situationNumber.flatMap { cps.situation($0) } ?? cps.situations.first { $0.maySignInvoice && $0.maySignLot }
            guard let chosen else {
                throw SignerUnavailable(message: situationNumber.map { "the CPS has no situation \($0)" } ?? "no situation of the CPS may sign invoices and lots")
            }
            let billing = try BillingNumber(chosen.billingNumber + chosen.billingKey)
            let situation = PractitionerSituation(
                billingNumber: billing, situationNumber: UInt8(clamping: chosen.number), practiceMode: UInt8(chosen.modeExercice) ?? 0,
                conventionCode: UInt8(chosen.codeConventionnel) ?? 1, specialty: UInt8(chosen.specialite) ?? 1,
                tariffZone: UInt8(chosen.zoneTarifaire) ?? 10, ikZone: UInt8(chosen.zoneIK) ?? 0,
                maySignInvoice: chosen.maySignInvoice, maySignLot: chosen.maySignLot)
            try await session.verifyPIN(pin)
            let identity = SignerIdentity(
                publicKey: try ClaimPublicKey(x963Representation: cps.certificate.publicKey), certificate: [],
                maySignInvoice: chosen.maySignInvoice, maySignLot: chosen.maySignLot, isTestCard: cps.certificate.isTestCard)
            return CPSCardSigner(identity: identity, situation: situation, session: session, context: context)
        } catch let error as SignerUnavailable {
            throw error
        } catch let error as CPSError {
            throw SignerUnavailable(message: "CPS in '\(reader)': \(error)")
        }
    }

    func sign(digest: SHA256.Digest, purpose: SigningPurpose) async throws -> ClaimSignature {
        try checkAllowed(purpose)
        // Callers sign one digest at a time; the PC/SC binding runs the exchanges on its own thread.
        let raw: [UInt8]
        do throws(CPSError) {
            raw = try await session.sign(digest: Array(digest))
        } catch {
            if case .pinRequired = error { throw ClaimSigningError.pinRequired }
            throw ClaimSigningError.cardFailure(error.description)
        }
        return try ClaimSignature(rawRepresentation: raw)
    }
}

