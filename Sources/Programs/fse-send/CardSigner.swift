import CPS
import CPSSigning
import Claims
import Foundation
import PCSC

/// Opens Claims' ``CPSCardSigner`` on the CPS in a PC/SC reader and derives the FSE's practitioner group from
/// the chosen situation.
enum CardSignerOpener {
    /// Connects to the CPS in `reader`, chooses `situationNumber` (default: the first that may sign invoices and
    /// lots) and verifies `pin`.
    static func open(reader: String, pin: String, situationNumber: Int?) async throws -> (signer: CPSCardSigner, practitioner: PractitionerSituation) {
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
            let read = try await session.read()
            let chosen = situationNumber.flatMap { read.situation($0) } ?? read.situations.first { $0.maySignInvoice && $0.maySignLot }
            guard let chosen else {
                throw SignerUnavailable(message: situationNumber.map { "the CPS has no situation \($0)" } ?? "no situation of the CPS may sign invoices and lots")
            }
            let signer = try CPSCardSigner(session: session, card: read, situation: chosen)
            try await signer.verifyPIN(pin)
            let practitioner = try PractitionerSituation(chosen)
            return (signer, practitioner)
        } catch let error as SignerUnavailable {
            throw error
        } catch {
            throw SignerUnavailable(message: "CPS in '\(reader)': \(error)")
        }
    }
}
