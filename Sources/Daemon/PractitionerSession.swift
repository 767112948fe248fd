import Claims
import Foundation
import Transmission
import Synchronization

/// The practitioner's signing session: the situation FSEs are billed under and the signer (the CPS after its
/// PIN was verified, or a software key for practices configured that way).
public struct PractitionerSession: Sendable {
    /// The situation (numéro de facturation, convention, specialty…) claims are billed under.
    public var situation: PractitionerSituation
    /// Signs FSEs and lots.
    public var signer: any ClaimSigner
    /// Where the session comes from.
    public var origin: Origin

    /// Where a session comes from.
    public enum Origin: String, Sendable, Codable {
        /// The CPS in the reader, PIN verified.
        case cps
        /// A software key from the configuration (`softwareSigner`).
        case software
    }

    public init(situation: PractitionerSituation, signer: any ClaimSigner, origin: Origin) {
        self.situation = situation
        self.signer = signer
        self.origin = origin
    }

    /// The numéro de facturation claims are billed and stored under.
    public var billingNumber: BillingNumber { situation.billingNumber }
}

/// Holds the current session: set when the PIN is verified (or at start for a software signer), cleared
/// when the CPS leaves the reader.
public final class SessionStore: Sendable {
    private let current: Mutex<PractitionerSession?>

    public init(_ session: PractitionerSession? = nil) {
        current = Mutex(session)
    }

    public var session: PractitionerSession? { current.withLock { $0 } }

    public func set(_ session: PractitionerSession?) { current.withLock { $0 = session } }
}

/// Signs with the current session for the background sender.
struct SessionSigning: SigningSource {
    let sessions: SessionStore

    func currentSigner() async -> (billingNumber: BillingNumber, signer: any ClaimSigner, maySignLot: Bool)? {
        guard let session = sessions.session else { return nil }
        return (session.billingNumber, session.signer, session.situation.maySignLot)
    }
}
