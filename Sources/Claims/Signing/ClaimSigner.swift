import Crypto

/// What a claim signature protects: one invoice (FSE) or one lot.
public enum SigningPurpose: Sendable, Hashable {
    /// The signature of one FSE (the card's "may sign an invoice" flag must be set).
    case invoice
    /// The signature of one lot (the card's "may sign a lot" flag must be set).
    case lot
}

/// Something that signs FSEs and lots for a practitioner: the CPS card (through a `CardChannel`),
/// or ``SoftwareClaimSigner`` in tests and benchmarks.
///
/// ## Contract for implementers
///
/// - **What is signed.** The caller always hashes first: ``sign(digest:purpose:)`` receives the SHA-256
///   digest (32 bytes) of the exact bytes to protect: the encoded FSE record (see `docs/fse-format.md`,
///   "FSE record") or everything of a lot before its signature ("Lot trailer"). A card-backed signer sends
///   these 32 bytes to the card as a pre-computed hash (PSO: COMPUTE DIGITAL SIGNATURE, or the card's own
///   equivalent); it never hashes them again.
/// - **Algorithm and format.** ECDSA over P-256 with SHA-256. The result is a ``ClaimSignature``: the raw
///   64-byte `r ‖ s` form (each 32 bytes, big-endian, left-padded with zeros). A card that answers in DER
///   (`30 .. 02 r 02 s`) must be converted, for instance with
///   `P256.Signing.ECDSASignature(derRepresentation:).rawRepresentation`.
/// - **Flags.** ``identity`` reports the card's flags. An implementation throws
///   ``ClaimSigningError/notAllowedToSignInvoices`` / ``ClaimSigningError/notAllowedToSignLots`` when asked
///   to sign for a purpose its flags forbid, before touching the card. Callers in this module check too.
/// - **PIN.** The card signs only after a successful VERIFY (code porteur). A card-backed signer presents
///   the PIN as its own card protocol requires; when the card asks for it again (a lot series interrupted
///   midway), it throws ``ClaimSigningError/pinRequired`` unless it can ask the practitioner itself.
/// - **Threads.** PC/SC calls block: a card-backed signer runs them on a thread of its own (not on the
///   cooperative pool) and resumes the caller when the card answers.
/// - **Failures.** Card or reader failures are reported as ``ClaimSigningError/cardFailure(_:)`` with the
///   status word or reader error in the text (never personal data).
/// - **Verification.** Everything signed can be checked with ``ClaimPublicKey/isValidSignature(_:for:)``
///   using ``SignerIdentity/publicKey``; the gateway does this on every lot and every FSE.
public protocol ClaimSigner: Sendable {
    /// The signer's public key, certificate and flags, as read from the card.
    var identity: SignerIdentity { get }

    /// Signs a SHA-256 digest for `purpose`; returns the raw 64-byte ECDSA P-256 signature.
    func sign(digest: SHA256.Digest, purpose: SigningPurpose) async throws -> ClaimSignature
}

extension ClaimSigner {
    /// Hashes `message` with SHA-256 and signs the digest.
    public func sign(message: [UInt8], purpose: SigningPurpose) async throws -> ClaimSignature {
        let digest = SHA256.hash(data: message)
        return try await sign(digest: digest, purpose: purpose)
    }

    /// Throws the right ``ClaimSigningError`` when the flags of ``identity`` forbid `purpose`.
    public func checkAllowed(_ purpose: SigningPurpose) throws(ClaimSigningError) {
        switch purpose {
        case .invoice where !identity.maySignInvoice: throw .notAllowedToSignInvoices
        case .lot where !identity.maySignLot: throw .notAllowedToSignLots
        default: return
        }
    }
}

/// Who signs: the public key and certificate of the practitioner's card, and its flags.
public struct SignerIdentity: Sendable, Hashable {
    /// The P-256 public key that verifies the signatures.
    public var publicKey: ClaimPublicKey
    /// The certificate as read from the card (DER), empty when the signer has none (software signer).
    public var certificate: [UInt8]
    /// The card's flag "may sign an invoice" (FSE).
    public var maySignInvoice: Bool
    /// The card's flag "may sign a lot".
    public var maySignLot: Bool
    /// `true` for a test card: lots it signs are marked as test lots, and must never be mixed with real ones.
    public var isTestCard: Bool

    public init(
        publicKey: ClaimPublicKey, certificate: [UInt8] = [],
        maySignInvoice: Bool, maySignLot: Bool, isTestCard: Bool
    ) {
        self.publicKey = publicKey
        self.certificate = certificate
        self.maySignInvoice = maySignInvoice
        self.maySignLot = maySignLot
        self.isTestCard = isTestCard
    }
}

/// Why a signature could not be made.
public enum ClaimSigningError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The card's situation does not carry the flag "may sign an invoice".
    case notAllowedToSignInvoices
    /// The card's situation does not carry the flag "may sign a lot".
    case notAllowedToSignLots
    /// The card asks for the PIN (code porteur) again.
    case pinRequired
    /// The card or the reader failed; the text names the status word or reader error.
    case cardFailure(String)
    /// The card returned a signature that is not a valid ECDSA P-256 signature (length or encoding).
    case malformedSignature(String)

    public var description: String {
        switch self {
        case .notAllowedToSignInvoices: return "this CPS situation is not allowed to sign invoices (FSE)"
        case .notAllowedToSignLots: return "this CPS situation is not allowed to sign lots"
        case .pinRequired: return "the CPS asks for the PIN (code porteur) again"
        case .cardFailure(let why): return "CPS signature failed: \(why)"
        case .malformedSignature(let why): return "CPS returned a malformed signature: \(why)"
        }
    }
}
