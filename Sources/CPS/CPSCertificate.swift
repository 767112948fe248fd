import Crypto
import ISO7816

/// The CPS signing certificate (project's own format, `docs/card-layout.md` 3.6): the holder's P-256 public
/// key, signed by the issuing authority.
public struct CPSCertificate: Sendable, Hashable, Codable {
    /// Format version (1).
    public var version: Int
    /// The holder's national identifier, as in the holder file.
    public var nationalId: String
    /// `PRÉNOM NOM` as on the card.
    public var holderName: String
    /// The public key, uncompressed X9.63 (`04 ‖ X ‖ Y`, 65 bytes).
    public var publicKey: [UInt8]
    /// Not before, `YYYYMMDD`.
    public var notBefore: String
    /// Not after, `YYYYMMDD`.
    public var notAfter: String
    /// True for a test card's certificate.
    public var isTestCard: Bool
    /// True when the certificate's signature verifies with the OpenVitale test card authority's key.
    public var issuedByTestAuthority: Bool
    /// The whole certificate as stored on the card (the `7F21` TLV).
    public var encoded: [UInt8]

    /// The public key of the OpenVitale test card authority (`docs/card-layout.md` 3.6), uncompressed.
    public static let testAuthorityPublicKey: [UInt8] = Hex.decode(
        "047D0E9BF139CB705C3DE1A5910E3A3160244D00657DC35FBE93FFFB4A935426B5"
            + "CED9420F0639AED6659883864947122FEE90A8E3D8CB1AAC539146EDA630F115")!

    /// The public key as a swift-crypto key.
    public func signingPublicKey() throws -> P256.Signing.PublicKey {
        try P256.Signing.PublicKey(x963Representation: publicKey)
    }

    /// Parses the content of EF CERTIFICATE (up to its end marker).
    static func parse(_ content: [UInt8]) throws(CPSError) -> CPSCertificate {
        let file = CPSFile.certificate
        let top = try CPSParser.topLevel(content, file: file)
        guard let cert = top.first(where: { $0.tag == 0x7F21 }) else {
            throw .invalidField(file: file, field: "7F21 certificate", problem: "missing")
        }
        let outer = try CPSFields(cert, file: file, path: "7F21")
        guard let bodyTLV = outer.children.first(where: { $0.tag == 0x7F4E }) else {
            throw .invalidField(file: file, field: "7F21 / 7F4E body", problem: "missing")
        }
        guard let signature = outer.value(0x5F37), signature.count == 64 else {
            throw .invalidField(file: file, field: "7F21 / 5F37 signature", problem: "missing or not 64 bytes")
        }
        let body = try CPSFields(bodyTLV, file: file, path: "7F21 / 7F4E")
        guard let version = body.value(0x80), version.count == 1 else {
            throw .invalidField(file: file, field: "7F4E / 80 format version", problem: "missing or not 1 byte")
        }
        guard version.first == 1 else {
            throw .invalidField(file: file, field: "7F4E / 80 format version", problem: "version \(version.first!) is not supported (1)")
        }
        guard let algorithm = body.value(0x83), algorithm.elementsEqual([0x01]) else {
            throw .invalidField(file: file, field: "7F4E / 83 key algorithm", problem: "missing or not 01 (ECDSA P-256)")
        }
        guard let key = body.value(0x86), key.count == 65, key.first == 0x04,
              (try? P256.Signing.PublicKey(x963Representation: Array(key))) != nil
        else {
            throw .invalidField(file: file, field: "7F4E / 86 public key", problem: "not an uncompressed P-256 point")
        }
        guard let test = body.value(0xC0), test.count == 1, test.first! <= 1 else {
            throw .invalidField(file: file, field: "7F4E / C0 test card", problem: "missing or not 00/01")
        }
        let signedBytes = bodyTLV.bytes
        var byAuthority = false
        if let authority = try? P256.Signing.PublicKey(x963Representation: testAuthorityPublicKey),
           let sig = try? P256.Signing.ECDSASignature(rawRepresentation: Array(signature))
        {
            byAuthority = authority.isValidSignature(sig, for: SHA256.hash(data: signedBytes))
        }
        return CPSCertificate(
            version: 1,
            nationalId: try body.text(0x81, "81 national id", length: 1...20),
            holderName: try body.text(0x82, "82 holder name", length: 1...81),
            publicKey: Array(key),
            notBefore: try body.date(0x5F25, "5F25 not before"),
            notAfter: try body.date(0x5F24, "5F24 not after"),
            isTestCard: test.first == 1,
            issuedByTestAuthority: byAuthority,
            encoded: cert.bytes)
    }
}

extension CPSCertificate {
    private enum CodingKeys: String, CodingKey {
        case version, nationalId, holderName, publicKey, notBefore, notAfter, isTestCard, issuedByTestAuthority, encoded
    }

    /// JSON carries the public key and the encoded certificate as hex text (the key as `insurer-gateway register
    /// --public-key` takes it), not as arrays of numbers.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(nationalId, forKey: .nationalId)
        try c.encode(holderName, forKey: .holderName)
        try c.encode(Hex.encode(publicKey), forKey: .publicKey)
        try c.encode(notBefore, forKey: .notBefore)
        try c.encode(notAfter, forKey: .notAfter)
        try c.encode(isTestCard, forKey: .isTestCard)
        try c.encode(issuedByTestAuthority, forKey: .issuedByTestAuthority)
        try c.encode(Hex.encode(encoded), forKey: .encoded)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func hex(_ key: CodingKeys) throws -> [UInt8] {
            let text = try c.decode(String.self, forKey: key)
            guard let bytes = Hex.decode(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "not hexadecimal")
            }
            return bytes
        }
        self.init(
            version: try c.decode(Int.self, forKey: .version),
            nationalId: try c.decode(String.self, forKey: .nationalId),
            holderName: try c.decode(String.self, forKey: .holderName),
            publicKey: try hex(.publicKey),
            notBefore: try c.decode(String.self, forKey: .notBefore),
            notAfter: try c.decode(String.self, forKey: .notAfter),
            isTestCard: try c.decode(Bool.self, forKey: .isTestCard),
            issuedByTestAuthority: try c.decode(Bool.self, forKey: .issuedByTestAuthority),
            encoded: try hex(.encoded))
    }
}
