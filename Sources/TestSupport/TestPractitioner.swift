import Crypto
import Gateway

/// A practitioner for tests: a fresh P-256 signing key, a gateway token, and the registration the gateway's
/// registry holds for them.
public struct TestPractitioner: Sendable {
    /// The numéro de facturation.
    public let billingNumber: String
    /// The private key's raw bytes.
    public let keyBytes: [UInt8]
    /// The bearer token for the gateway.
    public let token: String
    /// The signing key.
    public var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: keyBytes) }

    public init(_ billingNumber: String, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.billingNumber = billingNumber
        keyBytes = Array(key.rawRepresentation)
        token = PractitionerRegistry.newToken()
    }

    /// The gateway registry's entry: billing number, public key, token digest.
    public var registration: RegisteredPractitioner {
        RegisteredPractitioner(billingNumber: billingNumber, label: "test", publicKey: Array(key.publicKey.x963Representation),
                               tokenSHA256: PractitionerRegistry.hash(token: token))
    }
}
