import Crypto

/// The OpenVitale test card authority: the issuer of every emulated CPS certificate (project's own, see
/// `docs/card-layout.md` 3.6). Its private key is the SHA-256 of `OpenVitale test card authority v1`.
public enum TestCardAuthority {
    /// The text whose SHA-256 is the private key.
    public static let seedText = "OpenVitale test card authority v1"

    static var privateKey: P256.Signing.PrivateKey {
        // A SHA-256 output is below the P-256 order with overwhelming probability; this one is (checked by tests).
        try! P256.Signing.PrivateKey(rawRepresentation: Array(SHA256.hash(data: Array(seedText.utf8))))
    }

    /// The authority's public key.
    public static var publicKey: P256.Signing.PublicKey { privateKey.publicKey }

    /// The public key, uncompressed (`04 ‖ X ‖ Y`).
    public static var publicKeyX963: [UInt8] { Array(publicKey.x963Representation) }
}

/// P-256 key checks for images.
enum P256Key {
    static func validate(_ raw: [UInt8]) throws -> P256.Signing.PublicKey {
        try P256.Signing.PrivateKey(rawRepresentation: raw).publicKey
    }
}
