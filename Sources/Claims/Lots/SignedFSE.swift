import Crypto

/// An FSE with the practitioner's signature over its encoded record.
public struct SignedFSE: Sendable, Hashable {
    public var fse: FSE
    /// ECDSA P-256 signature of SHA-256(the FSE record).
    public var signature: ClaimSignature

    public init(fse: FSE, signature: ClaimSignature) {
        self.fse = fse
        self.signature = signature
    }

    /// Encodes `fse`, hashes the record and has `signer` sign it (purpose ``SigningPurpose/invoice``).
    /// Refuses a signer or a situation without the flag "may sign an invoice".
    public static func sign(_ fse: FSE, with signer: some ClaimSigner) async throws -> SignedFSE {
        guard fse.practitioner.maySignInvoice else { throw ClaimValidationError.situationMayNotSignInvoices }
        try signer.checkAllowed(.invoice)
        let record = try fse.encoded()
        let signature = try await signer.sign(digest: SHA256.hash(data: record), purpose: .invoice)
        return SignedFSE(fse: fse, signature: signature)
    }

    /// Checks the signature against `key`.
    public func isValid(for key: ClaimPublicKey) -> Bool {
        guard let record = try? fse.encoded() else { return false }
        return key.isValidSignature(signature, for: SHA256.hash(data: record))
    }
}
