import Crypto
import Foundation

/// A practitioner registered with the insurer: who may connect and whose signatures are accepted.
public struct RegisteredPractitioner: Sendable, Equatable, Codable {
    /// The numéro de facturation (billing number, 9 characters) that identifies the practitioner.
    public var billingNumber: String
    /// A display label for operators (never logged with personal data of patients).
    public var label: String?
    /// The CPS signing public key, X9.63 uncompressed P-256 point.
    public var publicKey: [UInt8]
    /// SHA-256 of the practitioner's access token (the token itself is never stored).
    public var tokenSHA256: [UInt8]

    public init(billingNumber: String, label: String? = nil, publicKey: [UInt8], tokenSHA256: [UInt8]) {
        self.billingNumber = billingNumber
        self.label = label
        self.publicKey = publicKey
        self.tokenSHA256 = tokenSHA256
    }
}

/// The practitioners registered with the gateway, read from a JSON file (format in docs/gateway.md).
public struct PractitionerRegistry: Sendable, SenderKeys {
    public private(set) var practitioners: [RegisteredPractitioner]
    private var byBilling: [String: RegisteredPractitioner]
    private var byToken: [[UInt8]: RegisteredPractitioner]

    public init(_ practitioners: [RegisteredPractitioner]) {
        self.practitioners = practitioners
        byBilling = Dictionary(practitioners.map { ($0.billingNumber, $0) }, uniquingKeysWith: { a, _ in a })
        byToken = Dictionary(practitioners.map { ($0.tokenSHA256, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The practitioner holding `token`, if any.
    public func practitioner(forToken token: String) -> RegisteredPractitioner? {
        byToken[Self.hash(token: token)]
    }

    /// The practitioner registered under `billingNumber`, if any.
    public func practitioner(billingNumber: String) -> RegisteredPractitioner? { byBilling[billingNumber] }

    public func publicKey(forBillingNumber billingNumber: String) -> [UInt8]? { byBilling[billingNumber]?.publicKey }

    /// SHA-256 of a token, as stored in the registry.
    public static func hash(token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }

    /// A new random access token: 32 random bytes in lowercase hex.
    public static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    // MARK: File

    /// The registry file: `{"practitioners": [{"billingNumber", "label"?, "publicKey", "tokenSHA256"}]}` where
    /// `publicKey` is a PEM `PUBLIC KEY` or the hex X9.63 point and `tokenSHA256` is hex.
    struct File: Codable {
        var practitioners: [Entry]
        struct Entry: Codable {
            var billingNumber: String
            var label: String?
            var publicKey: String
            var tokenSHA256: String
        }
    }

    /// Errors reading a registry file.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads a registry file.
    public static func load(contentsOf url: URL) throws -> PractitionerRegistry {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw LoadError(description: "\(url.path): cannot read the registry: \(error.localizedDescription)")
        }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw LoadError(description: "\(url.path): not a registry file: \(error)")
        }
        var result: [RegisteredPractitioner] = []
        for (index, entry) in file.practitioners.enumerated() {
            let place = "\(url.path): practitioners[\(index)] (\(entry.billingNumber))"
            guard let key = parsePublicKey(entry.publicKey) else {
                throw LoadError(description: "\(place): publicKey is neither a PEM P-256 public key nor a hex X9.63 point")
            }
            guard let hash = Hex.decode(entry.tokenSHA256), hash.count == 32 else {
                throw LoadError(description: "\(place): tokenSHA256 must be 64 hex digits")
            }
            result.append(.init(billingNumber: entry.billingNumber, label: entry.label, publicKey: key, tokenSHA256: hash))
        }
        return PractitionerRegistry(result)
    }

    /// Writes the registry to `url` (atomically).
    public func write(to url: URL) throws {
        let file = File(practitioners: practitioners.map {
            .init(billingNumber: $0.billingNumber, label: $0.label, publicKey: Hex.encode($0.publicKey), tokenSHA256: Hex.encode($0.tokenSHA256))
        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(file).write(to: url, options: .atomic)
    }

    /// Adds or replaces a practitioner.
    public mutating func register(_ practitioner: RegisteredPractitioner) {
        practitioners.removeAll { $0.billingNumber == practitioner.billingNumber }
        practitioners.append(practitioner)
        self = PractitionerRegistry(practitioners)
    }

    /// Parses a PEM public key or a hex X9.63 point into the X9.63 representation.
    public static func parsePublicKey(_ text: String) -> [UInt8]? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") {
            guard let key = try? P256.Signing.PublicKey(pemRepresentation: trimmed) else { return nil }
            return Array(key.x963Representation)
        }
        guard let bytes = Hex.decode(trimmed), (try? P256.Signing.PublicKey(x963Representation: bytes)) != nil else { return nil }
        return bytes
    }
}

/// Lowercase hex helpers.
enum Hex {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 65...70: c - 55
            case 97...102: c - 87
            default: nil
            }
        }
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
