import ISO7816

/// The files of a carte Vitale 2 the decoder reads (`docs/card-layout.md`, section 2).
public enum VitaleFile: String, Sendable, Hashable, Codable, CustomStringConvertible {
    /// EF `D0 01`, SFI 2 under the MF: one `65` per beneficiary (nom, prénom, date of birth).
    case identity
    /// SFI 2 under the VITALE application: one `65` per beneficiary with the NIR (`93`).
    case nir
    /// EF `D0 03`, SFI 3 under VITALE: the project's own rights layout.
    case rights

    public var description: String {
        switch self {
        case .identity: return "identity file (EF D001, SFI 2 under the MF)"
        case .nir: return "NIR file (SFI 2 under VITALE)"
        case .rights: return "rights file (EF D003, SFI 3 under VITALE)"
        }
    }
}

/// Why a carte Vitale could not be read. A read that throws yields nothing: no partial card is ever returned.
///
/// Messages name the file, the field, the byte offset or the status word; they never contain a NIR or a name.
public enum VitaleError: CardExchangeError, TLVFieldError, Hashable, Sendable, CustomStringConvertible {
    /// Not a carte Vitale: the ATR is neither a Vitale 2 nor a Vitale 1 ATR (`reason` nil), or the card has a
    /// Vitale 2 ATR but not the carte Vitale's files and application (`reason` says which answer showed it). `atr`
    /// is empty when the read did not know it (``VitaleReader/readFiles(from:)``).
    case notAVitaleCard(atr: String, reason: String? = nil)
    /// A Vitale 1 card (recognised from its ATR): its memory layout is not public.
    case legacyVitale1(atr: String)
    /// The card was removed (or lost power) during the read; `step` says which exchange failed.
    case cardRemoved(step: String)
    /// The card does not answer `step`: the transport says so (`timeout` nil), or no answer came within the
    /// reader's ``VitaleReader/Options/apduTimeout``.
    case cardMute(step: String, timeout: Duration? = nil)
    /// The card was reset or power-cycled under the connection during `step` (another program reset it, or pcscd
    /// did after a program that died mid-exchange): nothing was read; connect again and read it again.
    case cardReset(step: String)
    /// The reader went away during the read.
    case readerUnavailable(step: String, detail: String)
    /// The PC/SC service (pcscd) is not running or was lost during the read.
    case serviceUnavailable(step: String, detail: String)
    /// The card answered a status word the layout does not allow at this step.
    case unexpectedStatus(StatusWord, step: String)
    /// A file's BER-TLV structure is broken.
    case corruptedTLV(file: VitaleFile, offset: Int, reason: String)
    /// A field is missing or its value breaks the layout (`field` is a path such as `beneficiary 2 / C7 date of birth`).
    case invalidField(file: VitaleFile, field: String, problem: String)
    /// A NIR is malformed or its key does not match.
    case invalidNIR(file: VitaleFile, field: String, problem: NIRError)
    /// The files disagree with each other (counts, order, names): the card cannot be trusted.
    case inconsistentFiles(String)
    /// A file grows past the decoder's limit without an end marker.
    case fileTooLarge(file: VitaleFile, limit: Int)
    /// Any other transport failure (the text comes from the transport, never from card data).
    case transport(step: String, detail: String)

    public var description: String {
        switch self {
        case .notAVitaleCard(let atr, let reason):
            return "not a carte Vitale" + (atr.isEmpty ? "" : " (ATR \(atr))") + (reason.map { ": \($0)" } ?? "")
        case .legacyVitale1(let atr):
            return "legacy Vitale 1 card, not supported (ATR \(atr)): its memory layout is not public"
        case .cardRemoved(let step):
            return "card removed during the read (\(step)): nothing was read, insert the card again"
        case .cardMute(let step, let timeout):
            return "mute card: no answer to \(step)" + (timeout.map { " within \(APDUTimeout.describe($0))" } ?? "")
        case .cardReset(let step):
            return "card reset under the connection during the read (\(step)): nothing was read, read it again"
        case .readerUnavailable(let step, let detail):
            return "reader unavailable during \(step): \(detail)"
        case .serviceUnavailable(let step, let detail):
            return "PC/SC service unavailable during \(step): \(detail)"
        case .unexpectedStatus(let sw, let step):
            return "\(step): card answered \(sw) (\(sw.meaning))"
        case .corruptedTLV(let file, let offset, let reason):
            return "corrupted \(file): malformed BER-TLV at byte \(offset): \(reason)"
        case .invalidField(let file, let field, let problem):
            return "\(file), \(field): \(problem)"
        case .invalidNIR(let file, let field, let problem):
            return "\(file), \(field): invalid NIR: \(problem)"
        case .inconsistentFiles(let what):
            return "inconsistent card: \(what)"
        case .fileTooLarge(let file, let limit):
            return "\(file) exceeds \(limit) bytes without an end marker"
        case .transport(let step, let detail):
            return "\(step): \(detail)"
        }
    }
}
