import Crypto

/// A ``ClaimSigner`` holding a P-256 private key in memory: for unit tests, benchmarks and the mock
/// gateway's fixtures. Production signatures come from the CPS card.
public struct SoftwareClaimSigner: ClaimSigner {
    private let privateKeyBytes: [UInt8]
    public let identity: SignerIdentity

    /// A signer with `privateKey` (a fresh random key by default) and the given flags.
    public init(
        privateKey: P256.Signing.PrivateKey = .init(),
        certificate: [UInt8] = [],
        maySignInvoice: Bool = true, maySignLot: Bool = true, isTestCard: Bool = true
    ) {
        self.privateKeyBytes = Array(privateKey.rawRepresentation)
        self.identity = SignerIdentity(
            publicKey: ClaimPublicKey(privateKey.publicKey), certificate: certificate,
            maySignInvoice: maySignInvoice, maySignLot: maySignLot, isTestCard: isTestCard
        )
    }

    /// A signer with the P-256 private key given as its 32 raw bytes (fixtures, fuzzing, tools).
    public init(
        rawPrivateKey: [UInt8], maySignInvoice: Bool = true, maySignLot: Bool = true, isTestCard: Bool = true
    ) throws {
        self.init(
            privateKey: try P256.Signing.PrivateKey(rawRepresentation: rawPrivateKey),
            maySignInvoice: maySignInvoice, maySignLot: maySignLot, isTestCard: isTestCard
        )
    }

    public func sign(digest: SHA256.Digest, purpose: SigningPurpose) async throws -> ClaimSignature {
        try signSynchronously(digest: digest, purpose: purpose)
    }

    /// The same as ``sign(digest:purpose:)`` without suspension (for benchmarks and tools).
    public func signSynchronously(digest: SHA256.Digest, purpose: SigningPurpose) throws -> ClaimSignature {
        try checkAllowed(purpose)
        let privateKey = try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes)
        let signature = try privateKey.signature(for: digest)
        return try ClaimSignature(rawRepresentation: signature.rawRepresentation)
    }
}
