import Crypto

/// 32 bytes stored inline as four big-endian words (a SHA-256 value, half a signature). Plain integers,
/// no SIMD or heap storage, so it is safe and cheap in async frames and copies.
public struct Bytes32: Sendable, Hashable, CustomStringConvertible {
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    @inlinable
    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0
        self.w1 = w1
        self.w2 = w2
        self.w3 = w3
    }

    /// Exactly 32 bytes, or `nil`.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        var words: [UInt64] = [0, 0, 0, 0]
        for (index, byte) in bytes.enumerated() { words[index / 8] = words[index / 8] << 8 | UInt64(byte) }
        self.init(w0: words[0], w1: words[1], w2: words[2], w3: words[3])
    }

    /// The digest's 32 bytes.
    public init(_ digest: SHA256.Digest) {
        self.init(Array(digest))!
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for word in [w0, w1, w2, w3] { for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) } }
        return out
    }

    /// Lower-case hexadecimal.
    public var description: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// A raw ECDSA P-256 signature (`r ‖ s`, 64 bytes), stored inline: copying one never allocates.
public struct ClaimSignature: Sendable, Hashable {
    /// The first 32 bytes.
    public var r: Bytes32
    /// The last 32 bytes.
    public var s: Bytes32

    /// The byte count of a signature on the wire.
    public static let byteCount = 64

    @inlinable
    public init(r: Bytes32, s: Bytes32) {
        self.r = r
        self.s = s
    }

    /// Takes exactly 64 raw bytes (`r ‖ s`).
    public init(rawRepresentation raw: some Collection<UInt8>) throws(ClaimSigningError) {
        guard raw.count == 64 else { throw .malformedSignature("\(raw.count) bytes, expected 64 (r ‖ s)") }
        let bytes = Array(raw)
        self.init(r: Bytes32(bytes[0..<32])!, s: Bytes32(bytes[32..<64])!)
    }

    /// Converts a DER-encoded ECDSA signature (as some cards return it) to the raw form.
    public init(derRepresentation der: some Collection<UInt8>) throws(ClaimSigningError) {
        let signature: P256.Signing.ECDSASignature
        do { signature = try P256.Signing.ECDSASignature(derRepresentation: Array(der)) } catch {
            throw .malformedSignature("not a DER ECDSA signature")
        }
        try self.init(rawRepresentation: signature.rawRepresentation)
    }

    /// The 64 bytes.
    public var rawRepresentation: [UInt8] { r.bytes + s.bytes }
}

/// A P-256 public key that verifies claim signatures, with its fingerprint (SHA-256 of the uncompressed
/// X9.63 point), which lots carry to name their signer.
public struct ClaimPublicKey: Sendable, Hashable {
    /// The uncompressed X9.63 point (`04 x y`, 65 bytes).
    public let x963Representation: [UInt8]
    /// SHA-256 of ``x963Representation``.
    public let fingerprint: Bytes32

    /// Wraps a swift-crypto key.
    public init(_ key: P256.Signing.PublicKey) {
        self.x963Representation = Array(key.x963Representation)
        self.fingerprint = Bytes32(SHA256.hash(data: x963Representation))
    }

    /// Reads an uncompressed (65 bytes, `04 x y`) or compressed (33 bytes) point; throws when it is not a
    /// point of P-256.
    public init(x963Representation bytes: [UInt8]) throws {
        if bytes.count == 33 {
            self.init(try P256.Signing.PublicKey(compressedRepresentation: bytes))
        } else {
            self.init(try P256.Signing.PublicKey(x963Representation: bytes))
        }
    }

    /// The swift-crypto key (rebuilt from the stored point; keep it in a local when verifying many times).
    public var key: P256.Signing.PublicKey {
        // The point was validated when this value was made.
        try! P256.Signing.PublicKey(x963Representation: x963Representation)
    }

    /// Checks `signature` over `digest`.
    public func isValidSignature(_ signature: ClaimSignature, for digest: SHA256.Digest) -> Bool {
        ClaimPublicKey.isValid(signature, for: digest, key: key)
    }

    /// Checks `signature` over `digest` with an already built key.
    public static func isValid(_ signature: ClaimSignature, for digest: SHA256.Digest, key: P256.Signing.PublicKey) -> Bool {
        let raw = signature.rawRepresentation
        guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else { return false }
        return key.isValidSignature(ecdsa, for: digest)
    }

    public static func == (lhs: ClaimPublicKey, rhs: ClaimPublicKey) -> Bool { lhs.fingerprint == rhs.fingerprint }
    public func hash(into hasher: inout Hasher) { hasher.combine(fingerprint) }
}
