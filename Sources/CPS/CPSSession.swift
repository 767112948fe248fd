import ISO7816

/// The state of the CPS PIN (code porteur).
public enum PINStatus: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Verified since the card was last powered on: the card signs.
    case verified
    /// Not verified; `triesLeft` tries before the card blocks.
    case notVerified(triesLeft: Int)
    /// Blocked (no tries left).
    case blocked

    public var description: String {
        switch self {
        case .verified: return "verified"
        case .notVerified(let n): return "not verified, \(n) tr\(n == 1 ? "y" : "ies") left"
        case .blocked: return "blocked"
        }
    }
}

/// A CPS (carte de professionnel de santé) in a reader: reads the holder, situations and certificate, checks
/// and verifies the PIN, and signs SHA-256 digests (`docs/card-layout.md`, section 3).
///
/// Works over any ``CardChannel``. Every call sends its APDUs in order; callers that share the card with
/// other programs wrap a sequence in a PC/SC transaction. Each exchange must be answered within
/// ``apduTimeout``, or the call throws ``CPSError/cardMute(step:timeout:)`` naming it (a mute card).
public struct CPSSession: Sendable {
    /// The CPS application identifier (`D2 50 00 00 03 'OV-CPS'`, project's own).
    public static let aid: [UInt8] = [0xD2, 0x50, 0x00, 0x00, 0x03, 0x4F, 0x56, 0x2D, 0x43, 0x50, 0x53]
    /// The PIN reference.
    public static let pinReference: UInt8 = 0x01

    /// The channel to the card.
    public let channel: any CardChannel
    /// The card's ATR.
    public let atr: [UInt8]
    /// How long one exchange may take before the card is declared mute (``CPSError/cardMute(step:timeout:)``);
    /// nil: wait as long as the transport does. Some readers (and pcscd's virtual driver) wait forever for a
    /// card that stopped answering.
    public var apduTimeout: Duration?

    /// True when `atr` is a CPS ATR: CPS 3 (IAS-ECC CPx, matched with OpenSC's mask) or the other known CPS ATRs.
    public static func isCPS(atr: [UInt8]) -> Bool {
        let cps3: [UInt8] = [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00]
        let mask: [UInt8] = [0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF]
        if atr.count == cps3.count, zip(zip(atr, cps3), mask).allSatisfy({ ($0.0 & $1) == ($0.1 & $1) }) { return true }
        let v4: [UInt8] = [0x3B, 0xDC, 0x18, 0xFF, 0x00, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01, 0x00, 0x90, 0x00]
        return atr == v4
    }

    /// A session on the card behind `channel`; throws ``CPSError/notACPS(atr:reason:)`` for a card whose ATR is
    /// not a CPS ATR (a card with a CPS ATR but no CPS application is found out by its first SELECT).
    public init(channel: any CardChannel, atr: [UInt8], apduTimeout: Duration? = defaultAPDUTimeout) throws(CPSError) {
        guard Self.isCPS(atr: atr) else { throw .notACPS(atr: Hex.encode(atr, separator: " ")) }
        self.channel = channel
        self.atr = atr
        self.apduTimeout = apduTimeout
    }

    // MARK: Reading

    /// Reads the holder, the situations and the certificate (4 APDUs when each file fits in 256 bytes), as one
    /// ``ReadConversation`` (one PC/SC thread hop for the whole read).
    public func read() async throws(CPSError) -> PractitionerCard {
        let conversation = ReadConversation(atr: atr)
        return try await exchanges { card throws(CPSError) in try await card.converse(conversation) }
    }

    /// Selects the CPS application (no FCI).
    public func selectApplication() async throws(CPSError) {
        try await exchanges { card throws(CPSError) in try await selectApplication(card) }
    }

    func selectApplication(_ card: Card) async throws(CPSError) {
        let r = try await card.send(try Self.selectCommand(), step: Self.selectStep)
        guard r.statusWord == .success else { throw Self.selectFailure(r.statusWord, atr: atr) }
    }

    /// Why SELECT of the CPS application answered `status`: a card without the application, or one that does not
    /// know the command (``StatusWord/isNotFoundOrNotSupported``), is not a CPS whatever its ATR
    /// (``CPSError/notACPS(atr:reason:)``); any other status word is unexpected.
    static func selectFailure(_ status: StatusWord, atr: [UInt8]) -> CPSError {
        guard status.isNotFoundOrNotSupported else { return .unexpectedStatus(status, step: selectStep) }
        return .notACPS(atr: Hex.encode(atr, separator: " "),
                        reason: "no CPS application (\(selectStep) answered \(status), \(status.meaning))")
    }

    // MARK: PIN

    /// Asks the card for the PIN state without presenting a PIN (`00 20 00 01`): no try is used.
    public func pinStatus() async throws(CPSError) -> PINStatus {
        let step = "VERIFY (PIN status)"
        let command = try build { try CommandAPDU(ins: 0x20, p1: 0x00, p2: Self.pinReference) }
        let r = try await exchanges { card throws(CPSError) in try await card.send(command, step: step) }
        if r.statusWord == .success { return .verified }
        if r.statusWord == .authenticationBlocked { return .blocked }
        if let n = r.statusWord.triesLeft { return n == 0 ? .blocked : .notVerified(triesLeft: n) }
        throw .unexpectedStatus(r.statusWord, step: step)
    }

    /// Presents the PIN. Returns when the card accepted it; throws ``CPSError/wrongPIN(triesLeft:)`` or
    /// ``CPSError/pinBlocked`` otherwise, ``CPSError/invalidPINFormat`` (without touching the card) when `pin`
    /// is not 4 digits.
    public func verifyPIN(_ pin: String) async throws(CPSError) {
        let bytes = Array(pin.utf8)
        guard bytes.count == 4, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw .invalidPINFormat }
        let step = "VERIFY (PIN)"
        let command = try build { try .verify(reference: Self.pinReference, pin: bytes) }
        let r = try await exchanges { card throws(CPSError) in try await card.send(command, step: step) }
        if r.statusWord == .success { return }
        if r.statusWord == .authenticationBlocked { throw .pinBlocked }
        if let n = r.statusWord.triesLeft { throw n == 0 ? .pinBlocked : .wrongPIN(triesLeft: n) }
        throw .unexpectedStatus(r.statusWord, step: step)
    }

    // MARK: Signing

    /// Signs a SHA-256 digest with the card's P-256 key (PSO: COMPUTE DIGITAL SIGNATURE); returns the raw
    /// 64-byte `r ‖ s` signature. The PIN must have been verified since the card was powered on.
    public func sign(digest: [UInt8]) async throws(CPSError) -> [UInt8] {
        guard digest.count == 32 else { throw .invalidDigest(length: digest.count) }
        let step = "PSO: COMPUTE DIGITAL SIGNATURE"
        let command = try build { try CommandAPDU(ins: 0x2A, p1: 0x9E, p2: 0x9A, data: digest, ne: 256) }
        let r = try await exchanges { card throws(CPSError) in
            let r = try await card.send(command, step: step)
            guard r.statusWord == .conditionsNotSatisfied else { return r }
            // The CPS application is not the current DF (another program selected elsewhere): select, retry once.
            try await selectApplication(card)
            return try await card.send(command, step: step)
        }
        switch r.statusWord {
        case .success:
            guard r.data.count == 64 else {
                throw .unexpectedStatus(r.statusWord, step: "\(step): \(r.data.count)-byte signature, expected 64")
            }
            return r.data
        case .securityStatusNotSatisfied: throw .pinRequired
        case .authenticationBlocked: throw .pinBlocked
        default: throw .unexpectedStatus(r.statusWord, step: step)
        }
    }

    // MARK: Transport

    static let selectStep = "SELECT CPS application"

    static func selectCommand() throws(CPSError) -> CommandAPDU {
        try build { try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: aid) }
    }

    func build(_ make: () throws -> CommandAPDU) throws(CPSError) -> CommandAPDU { try Self.build(make) }

    static func build(_ make: () throws -> CommandAPDU) throws(CPSError) -> CommandAPDU {
        do { return try make() } catch { throw .transport(step: "building a command", detail: "\(error)") }
    }

    /// The card under the session's per-exchange deadline.
    typealias Card = DeadlineChannel<CPSError>

    /// Runs `body`'s exchanges with the card, each under ``apduTimeout``.
    func exchanges<T: Sendable>(_ body: @escaping @Sendable (Card) async throws(CPSError) -> T) async throws(CPSError) -> T {
        try await withAPDUDeadline(apduTimeout, on: channel, body)
    }
}
