import CPS
import CPSSigning
import Claims
import Crypto
import Emulator
import Foundation
import Testing
import TestSupport

@Suite("CPS card signer")
struct CPSCardSignerTests {
    func card(_ name: String) throws -> (EmulatedCard, CardImage) {
        let image = try CardImage.load(from: RepositoryPaths.fixtures.appendingPathComponent("cards/\(name)"))
        return (EmulatedCard(image: image), image)
    }

    @Test func signsInvoicesAndLotsVerifiableWithTheCardKey() async throws {
        let (emulated, image) = try card("cps-gp-secteur1.json")
        let session = try CPSSession(channel: emulated, atr: emulated.atr)
        let signer = try await CPSCardSigner.open(session: session, pin: image.cps!.pin)
        #expect(signer.identity.isTestCard)
        let message = Array("FSE bytes".utf8)
        let signature = try await signer.sign(message: message, purpose: .invoice)
        #expect(signer.identity.publicKey.isValidSignature(signature, for: SHA256.hash(data: message)))
        let lot = try await signer.sign(message: Array("lot".utf8), purpose: .lot)
        #expect(signer.identity.publicKey.isValidSignature(lot, for: SHA256.hash(data: Array("lot".utf8))))
    }

    @Test func pinAskedAgainAfterPowerCycle() async throws {
        let (emulated, image) = try card("cps-gp-secteur1.json")
        let signer = try await CPSCardSigner.open(session: try CPSSession(channel: emulated, atr: emulated.atr), pin: image.cps!.pin)
        emulated.reset()
        await #expect(throws: ClaimSigningError.pinRequired) { try await signer.sign(message: [1, 2, 3], purpose: .invoice) }
        try await signer.verifyPIN(image.cps!.pin)
        _ = try await signer.sign(message: [1, 2, 3], purpose: .invoice)
    }

    @Test func remplacantMayNotSignLots() async throws {
        let (emulated, image) = try card("cps-remplacant.json")
        let signer = try await CPSCardSigner.open(session: try CPSSession(channel: emulated, atr: emulated.atr), pin: image.cps!.pin)
        await #expect(throws: ClaimSigningError.notAllowedToSignLots) { try await signer.sign(message: [1], purpose: .lot) }
        _ = try await signer.sign(message: [1], purpose: .invoice)
    }

    @Test func blockedCardRefuses() async throws {
        let (emulated, image) = try card("cps-blocked.json")
        await #expect(throws: CPSError.pinBlocked) {
            _ = try await CPSCardSigner.open(session: try CPSSession(channel: emulated, atr: emulated.atr), pin: image.cps!.pin)
        }
    }
}
