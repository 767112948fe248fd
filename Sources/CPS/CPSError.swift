import ISO7816

/// The files of the CPS application (project's own layout, `docs/card-layout.md` 3.2).
public enum CPSFile: String, Sendable, Hashable, CustomStringConvertible {
    case holder, situations, certificate

    public var description: String {
        switch self {
        case .holder: return "CPS holder file (EF C001, SFI 1)"
        case .situations: return "CPS situations file (EF C002, SFI 2)"
        case .certificate: return "CPS certificate file (EF C003, SFI 3)"
        }
    }
}

/// Why a CPS operation failed. Messages name the file, field or status word, never the PIN or a name.
public enum CPSError: CardExchangeError, TLVFieldError, Hashable, Sendable, CustomStringConvertible {
    /// Not a CPS: the ATR is not a CPS ATR (`reason` nil), or the card has a CPS ATR but no CPS application
    /// (`reason` says which answer showed it).
    case notACPS(atr: String, reason: String? = nil)
    /// The card was removed during the operation.
    case cardRemoved(step: String)
    /// The card does not answer `step`: the transport says so (`timeout` nil), or no answer came within the
    /// session's ``CPSSession/apduTimeout``.
    case cardMute(step: String, timeout: Duration? = nil)
    /// The card was reset or power-cycled under the connection during `step` (another program reset it, or pcscd
    /// did after a program that died mid-exchange): connect again; the PIN must be presented again.
    case cardReset(step: String)
    /// The reader went away.
    case readerUnavailable(step: String, detail: String)
    /// The PC/SC service (pcscd) is not running or was lost during `step`.
    case serviceUnavailable(step: String, detail: String)
    /// A status word the layout does not allow at this step.
    case unexpectedStatus(StatusWord, step: String)
    /// A file's BER-TLV structure is broken.
    case corruptedTLV(file: CPSFile, offset: Int, reason: String)
    /// A field is missing or breaks the layout.
    case invalidField(file: CPSFile, field: String, problem: String)
    /// The PIN is not 4 digits (nothing was sent to the card).
    case invalidPINFormat
    /// The card refused the PIN; `triesLeft` tries remain before it blocks.
    case wrongPIN(triesLeft: Int)
    /// The PIN is blocked (no tries left): the card no longer signs.
    case pinBlocked
    /// The card asks for the PIN before signing.
    case pinRequired
    /// The digest to sign is not 32 bytes (SHA-256).
    case invalidDigest(length: Int)
    /// Any other transport failure.
    case transport(step: String, detail: String)

    public var description: String {
        switch self {
        case .notACPS(let atr, let reason): return "not a CPS (ATR \(atr))" + (reason.map { ": \($0)" } ?? "")
        case .cardRemoved(let step): return "CPS removed during \(step)"
        case .cardMute(let step, let timeout):
            return "mute CPS: no answer to \(step)" + (timeout.map { " within \(APDUTimeout.describe($0))" } ?? "")
        case .cardReset(let step): return "CPS reset under the connection during \(step): connect again, the PIN must be given again"
        case .readerUnavailable(let step, let detail): return "reader unavailable during \(step): \(detail)"
        case .serviceUnavailable(let step, let detail): return "PC/SC service unavailable during \(step): \(detail)"
        case .unexpectedStatus(let sw, let step): return "\(step): CPS answered \(sw) (\(sw.meaning))"
        case .corruptedTLV(let file, let offset, let reason): return "corrupted \(file): malformed BER-TLV at byte \(offset): \(reason)"
        case .invalidField(let file, let field, let problem): return "\(file), \(field): \(problem)"
        case .invalidPINFormat: return "the PIN (code porteur) must be 4 digits"
        case .wrongPIN(let n): return "wrong PIN (code porteur): \(n) tr\(n == 1 ? "y" : "ies") left before the card blocks"
        case .pinBlocked: return "the CPS PIN is blocked (no tries left): the card cannot sign"
        case .pinRequired: return "the CPS asks for the PIN (code porteur) before signing"
        case .invalidDigest(let n): return "a digest of \(n) bytes cannot be signed: the CPS signs SHA-256 digests (32 bytes)"
        case .transport(let step, let detail): return "\(step): \(detail)"
        }
    }
}
