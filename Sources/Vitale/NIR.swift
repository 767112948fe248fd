/// The NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale"), or a provisional NIA
/// (numéro d'identification d'attente), with its 2-digit key.
///
/// Fifteen characters: sex (1), year of birth (2), month (2), department (2, `2A`/`2B` for Corsica),
/// commune (3), order (3), key (2). The key is `97 − (first 13 digits mod 97)`; for Corsica `2A` counts
/// as `19` and `2B` as `18`, and only at positions 6-7.
///
/// The NIR is personal health data. A `NIR` masks itself everywhere it could leak: `description`,
/// `debugDescription`, string interpolation, `dump`/`Mirror`, and `Encodable` (unless the encoder's
/// `userInfo[NIR.revealInEncoding]` is `true`) all give the masked form `2 95 10 ** *** *** **`.
/// Only ``revealed``, ``revealedFormatted`` and ``appendRevealedASCII(to:)`` give the clear number.
///
/// Storage is inline (two integers, no heap): copying, hashing and serializing a `NIR` never allocates.
public struct NIR: Sendable, Hashable {
    /// The 15 ASCII characters, big-endian packed: characters 1-8 in `high`, 9-15 in `low` (low byte 0).
    @usableFromInline let high: UInt64
    @usableFromInline let low: UInt64

    /// The kind of number, from its first digit.
    public enum Kind: Sendable, Hashable {
        /// A definitive NIR (first digit 1 or 2).
        case definitive
        /// A provisional number: NIA or temporary NIR (first digit 3, 4, 7 or 8) given to people awaiting
        /// registration (for instance foreign-born people, on their attestation de droits).
        case provisional
    }

    // MARK: Parsing

    /// Parses a NIR written as 15 characters (13 + key), spaces allowed anywhere (`2 95 10 99 126 111 93`).
    public init(_ text: some StringProtocol) throws(NIRError) {
        var scratch: (UInt64, UInt64, Int) = (0, 0, 0)
        for byte in text.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0xA0 { continue }
            try NIR.push(byte, into: &scratch)
        }
        self = try NIR.finish(scratch, separateKey: nil)
    }

    /// Parses the 13 first characters and the key given separately (as on forms and in card group 101).
    public init(_ number: some StringProtocol, key: some StringProtocol) throws(NIRError) {
        var scratch: (UInt64, UInt64, Int) = (0, 0, 0)
        for byte in number.utf8 {
            if byte == 0x20 || byte == 0x09 { continue }
            try NIR.push(byte, into: &scratch)
        }
        guard scratch.2 == 13 else { throw .wrongLength(scratch.2, expected: 13) }
        var keyValue = 0
        var keyDigits = 0
        for byte in key.utf8 {
            if byte == 0x20 { continue }
            guard byte >= 0x30, byte <= 0x39 else { throw .invalidCharacter(position: 14 + keyDigits) }
            keyValue = keyValue * 10 + Int(byte - 0x30)
            keyDigits += 1
        }
        guard keyDigits == 2 else { throw .wrongLength(13 + keyDigits, expected: 15) }
        self = try NIR.finish(scratch, separateKey: keyValue)
    }

    /// Parses exactly 15 ASCII bytes (no spaces), as found on a card (tag `93`) or in a wire format.
    /// Does not copy the bytes.
    @inlinable
    public init<Bytes: Collection<UInt8>>(asciiBytes bytes: Bytes) throws(NIRError) {
        guard bytes.count == 15 else { throw .wrongLength(bytes.count, expected: 15) }
        var scratch: (UInt64, UInt64, Int) = (0, 0, 0)
        for byte in bytes { try NIR.push(byte, into: &scratch) }
        self = try NIR.finish(scratch, separateKey: nil)
    }

    @inlinable
    static func push(_ byte: UInt8, into scratch: inout (UInt64, UInt64, Int)) throws(NIRError) {
        let position = scratch.2 + 1
        guard position <= 15 else { throw .wrongLength(position, expected: 15) }
        let isDigit = byte >= 0x30 && byte <= 0x39
        var upper = byte
        if byte >= 0x61 && byte <= 0x7A { upper = byte - 0x20 }
        if position == 7, upper == 0x41 || upper == 0x42 {
            // 2A / 2B: only valid at positions 6-7, with a 2 at position 6 (checked in finish).
        } else if !isDigit {
            throw .invalidCharacter(position: position)
        }
        if position <= 8 {
            scratch.0 |= UInt64(upper) << (8 * UInt64(8 - position))
        } else {
            scratch.1 |= UInt64(upper) << (8 * UInt64(16 - position))
        }
        scratch.2 = position
    }

    @inlinable
    static func finish(_ scratch: (UInt64, UInt64, Int), separateKey: Int?) throws(NIRError) -> NIR {
        let count = scratch.2
        if separateKey == nil {
            guard count == 15 else { throw .wrongLength(count, expected: 15) }
        }
        let candidate = NIR(high: scratch.0, low: scratch.1)
        let first = candidate.byte(at: 0)
        guard first == 0x31 || first == 0x32 || first == 0x33 || first == 0x34 || first == 0x37 || first == 0x38 else {
            throw .invalidSex
        }
        let seventh = candidate.byte(at: 6)
        if seventh == 0x41 || seventh == 0x42 {
            guard candidate.byte(at: 5) == 0x32 else { throw .invalidCharacter(position: 7) }
        }
        let expected = candidate.computedKey
        let given: Int
        if let separateKey {
            given = separateKey
            let withKey = NIR(
                high: scratch.0,
                low: scratch.1 | UInt64(0x30 + separateKey / 10) << 16 | UInt64(0x30 + separateKey % 10) << 8
            )
            guard given == expected else { throw .keyMismatch }
            return withKey
        }
        given = Int(candidate.byte(at: 13) - 0x30) * 10 + Int(candidate.byte(at: 14) - 0x30)
        guard given == expected else { throw .keyMismatch }
        return candidate
    }

    @inlinable
    init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The ASCII byte at a 0-based position (0...14).
    @inlinable
    func byte(at index: Int) -> UInt8 {
        if index < 8 { return UInt8(truncatingIfNeeded: high >> (8 * UInt64(7 - index))) }
        return UInt8(truncatingIfNeeded: low >> (8 * UInt64(15 - index)))
    }

    /// The key computed from the first 13 characters (2A → 19, 2B → 18 at positions 6-7).
    @inlinable
    var computedKey: Int {
        var value: UInt64 = 0
        for index in 0..<13 {
            var digit = UInt64(byte(at: index) &- 0x30)
            if index == 5, byte(at: 6) == 0x41 || byte(at: 6) == 0x42 { digit = 1 }
            if index == 6 {
                if byte(at: 6) == 0x41 { digit = 9 } else if byte(at: 6) == 0x42 { digit = 8 }
            }
            value = value * 10 + digit
        }
        return 97 - Int(value % 97)
    }

    // MARK: Properties

    /// Whether this is a definitive NIR or a provisional number (NIA).
    public var kind: Kind {
        switch byte(at: 0) {
        case 0x31, 0x32: return .definitive
        default: return .provisional
        }
    }

    /// `true` for a provisional number (NIA or temporary NIR), see ``Kind/provisional``.
    public var isProvisional: Bool { kind == .provisional }

    /// The 2-digit key, as a number (1...97).
    public var key: Int { Int(byte(at: 13) - 0x30) * 10 + Int(byte(at: 14) - 0x30) }

    // MARK: Clear text (explicit)

    /// The 15 characters in clear (`295109912611193`). Personal data: never log it.
    public var revealed: String {
        String(unsafeUninitializedCapacity: 15) { buffer in
            for index in 0..<15 { buffer[index] = byte(at: index) }
            return 15
        }
    }

    /// The clear number grouped as printed on the card: `2 95 10 99 126 111 93`. Personal data: never log it.
    public var revealedFormatted: String { grouped(masked: false) }

    /// Appends the 15 clear ASCII characters to `buffer` (for serializers). Never allocates beyond the
    /// buffer's own growth.
    @inlinable
    public func appendRevealedASCII(to buffer: inout [UInt8]) {
        for index in 0..<15 { buffer.append(byte(at: index)) }
    }

    /// The 15 clear ASCII characters packed big-endian in two integers (characters 1-8, then 9-15 followed
    /// by a zero byte), for serializers that store them with two 8-byte writes.
    @inlinable
    public var revealedPackedASCII: (UInt64, UInt64) { (high, low) }

    /// Rebuilds a NIR from ``revealedPackedASCII``, checking everything ``init(asciiBytes:)`` checks, and
    /// that `2A`/`2B` are upper case.
    @inlinable
    public init(packedASCII: (UInt64, UInt64)) throws(NIRError) {
        guard packedASCII.1 & 0xFF == 0 else { throw .invalidCharacter(position: 16) }
        var scratch: (UInt64, UInt64, Int) = (0, 0, 0)
        let probe = NIR(high: packedASCII.0, low: packedASCII.1)
        for index in 0..<15 { try NIR.push(probe.byte(at: index), into: &scratch) }
        let parsed = try NIR.finish(scratch, separateKey: nil)
        // Exact form only (no lower-case 2a/2b): a decoder re-encoding this value gives the same bytes.
        guard parsed == probe else { throw .invalidCharacter(position: 7) }
        self = parsed
    }

    // MARK: Masked

    /// The masked form: sex, year and month of birth kept, the rest hidden: `2 95 10 ** *** *** **`.
    public var masked: String { grouped(masked: true) }

    private func grouped(masked: Bool) -> String {
        var out = [UInt8]()
        out.reserveCapacity(21)
        let groups = [1, 2, 2, 2, 3, 3, 2]
        var index = 0
        for (number, size) in groups.enumerated() {
            if number > 0 { out.append(0x20) }
            for _ in 0..<size {
                out.append(masked && index >= 5 ? 0x2A : byte(at: index))
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension NIR: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The masked form (see ``masked``): interpolation and `print` never show the NIR in clear.
    public var description: String { masked }
    /// `NIR(2 95 10 ** *** *** **)`.
    public var debugDescription: String { "NIR(\(masked))" }
    /// A mirror with the masked form only, so `dump` does not reveal the number.
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked], displayStyle: .struct) }
}

extension NIR: Codable {
    /// Set `encoder.userInfo[NIR.revealInEncoding] = true` to encode the clear number (for storage and
    /// transmission); otherwise a `NIR` encodes as its masked form, fit for display only.
    public static let revealInEncoding = CodingUserInfoKey(rawValue: "OpenVitale.NIR.revealInEncoding")!

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if encoder.userInfo[NIR.revealInEncoding] as? Bool == true {
            try container.encode(revealed)
        } else {
            try container.encode(masked)
        }
    }

    /// Decodes a clear NIR (15 characters, spaces allowed). A masked NIR cannot be decoded.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            self = try NIR(text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid NIR: \(error)")
        }
    }
}

/// Why a text is not a valid NIR. The messages never contain the number itself.
public enum NIRError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not the expected number of characters (spaces not counted).
    case wrongLength(Int, expected: Int)
    /// A character that is not a digit, or a letter other than `A`/`B` at position 7 after a `2`
    /// (positions are 1-based, spaces not counted).
    case invalidCharacter(position: Int)
    /// The first character is not a known sex/kind digit (1, 2 definitive; 3, 4, 7, 8 provisional).
    case invalidSex
    /// The 2-digit key does not match the first 13 characters.
    case keyMismatch

    public var description: String {
        switch self {
        case .wrongLength(let n, let expected): return "NIR: \(n) character(s), expected \(expected)"
        case .invalidCharacter(let p): return "NIR: invalid character at position \(p)"
        case .invalidSex: return "NIR: first character must be 1, 2 (NIR) or 3, 4, 7, 8 (provisional NIA)"
        case .keyMismatch: return "NIR: the key does not match the number"
        }
    }
}
