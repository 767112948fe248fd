import Claims
import Crypto
import Testing

@Suite("ClaimSigner")
struct SignerTests {
    @Test func softwareSignerSignsAndVerifies() async throws {
        let signer = SoftwareClaimSigner()
        let message: [UInt8] = Array("FSE bytes".utf8)
        let signature = try await signer.sign(message: message, purpose: .invoice)
        let key = signer.identity.publicKey
        #expect(key.isValidSignature(signature, for: SHA256.hash(data: message)))
        #expect(!key.isValidSignature(signature, for: SHA256.hash(data: Array("FSE bytez".utf8))))
        let other = SoftwareClaimSigner()
        #expect(!other.identity.publicKey.isValidSignature(signature, for: SHA256.hash(data: message)))
        var tampered = signature
        tampered.r.w1 ^= 1
        #expect(!key.isValidSignature(tampered, for: SHA256.hash(data: message)))
    }

    @Test func flagsAreEnforced() async {
        let noInvoice = SoftwareClaimSigner(maySignInvoice: false, maySignLot: true)
        await #expect(throws: ClaimSigningError.notAllowedToSignInvoices) {
            try await noInvoice.sign(message: [1, 2, 3], purpose: .invoice)
        }
        let noLot = SoftwareClaimSigner(maySignInvoice: true, maySignLot: false)
        await #expect(throws: ClaimSigningError.notAllowedToSignLots) {
            try await noLot.sign(message: [1, 2, 3], purpose: .lot)
        }
    }

    @Test func derAndRawForms() throws {
        let key = P256.Signing.PrivateKey()
        let digest = SHA256.hash(data: [9, 9, 9])
        let ecdsa = try key.signature(for: digest)
        let fromDER = try ClaimSignature(derRepresentation: Array(ecdsa.derRepresentation))
        let fromRaw = try ClaimSignature(rawRepresentation: Array(ecdsa.rawRepresentation))
        #expect(fromDER == fromRaw)
        #expect(ClaimPublicKey(key.publicKey).isValidSignature(fromDER, for: digest))
        #expect(throws: ClaimSigningError.self) { try ClaimSignature(rawRepresentation: [UInt8](repeating: 0, count: 63)) }
        let reread = try ClaimPublicKey(x963Representation: ClaimPublicKey(key.publicKey).x963Representation)
        #expect(reread == ClaimPublicKey(key.publicKey))
    }
}
