/// The error type of a decoder whose conversations read card files with ``CardFileRead``. Enum cases with these
/// names and labels satisfy the requirements (the Vitale reader's error); a decoder without a case of its own
/// writes a static function mapping to one of its cases (the CPS session's).
public protocol CardFileReadError: CardExchangeError, TLVFieldError {
    /// The card answered `status` to `step`.
    static func unexpectedStatus(_ status: StatusWord, step: String) -> Self
    /// The file runs past `limit` bytes without its end marker.
    static func fileTooLarge(file: File, limit: Int) -> Self
}

/// One step of a ``CardConversation``: a zero-padded file read by SFI, in 256-byte chunks (READ BINARY by SFI,
/// then by offset) until its end marker (a `00` where a top-level tag would start, ``TLV/contentEnd(_:)``), or
/// in one extended-length READ BINARY. `6B00` at an offset past 0 ends the file, so do end of file (`6282`) and
/// a short chunk. Errors are the decoder's `Failure`, naming its file (``CardFileReadError``), like
/// ``TLVFields``.
public struct CardFileRead<Failure: CardFileReadError>: Sendable where Failure.File: Sendable & CustomStringConvertible {
    /// The short file identifier.
    public let sfi: UInt8
    /// The decoder's name for the file (`READ BINARY <file>` in step names).
    public let file: Failure.File
    /// Whether `6A82` (file not found) on the first READ BINARY means an absent file (``Next/done(_:)`` with nil)
    /// rather than an error.
    public let absentAllowed: Bool
    /// The file size past which the read stops with ``CardFileReadError/fileTooLarge(file:limit:)``.
    public let maxFileSize: Int
    /// Read in one extended-length READ BINARY (`Le` 65536) instead of 256-byte chunks.
    public let extendedLength: Bool
    /// Whether step names of chunks past the first say their offset (`READ BINARY <file> at offset 256`).
    public let namesOffsets: Bool
    private var data: [UInt8] = []
    private var offset = 0

    public init(sfi: UInt8, file: Failure.File, absentAllowed: Bool = false, maxFileSize: Int = 16 * 1024,
                extendedLength: Bool = false, namesOffsets: Bool = true) {
        self.sfi = sfi
        self.file = file
        self.absentAllowed = absentAllowed
        self.maxFileSize = maxFileSize
        self.extendedLength = extendedLength
        self.namesOffsets = namesOffsets
    }

    /// What the read does next.
    public enum Next: Sendable {
        /// Send this READ BINARY.
        case send(CommandAPDU, step: String)
        /// The content up to the end marker; nil for an absent file (`6A82`) when allowed.
        case done([UInt8]?)
    }

    private var step: String { "READ BINARY \(file)" }
    private var stepHere: String { offset == 0 || !namesOffsets ? step : "\(step) at offset \(offset)" }

    /// The first READ BINARY, as the conversation's next step.
    public func start<Output: Sendable>() throws(Failure) -> ConversationStep<Output> {
        do {
            let command = extendedLength
                ? try CommandAPDU(ins: 0xB0, p1: 0x80 | sfi, p2: 0, ne: 65536, extended: true)
                : try CommandAPDU.readBinary(sfi: sfi, offset: 0, ne: 256)
            return .send(command, step: step)
        } catch {
            throw .transport(step: step, detail: error.description)
        }
    }

    /// Takes the answer to the last READ BINARY.
    public mutating func receive(_ response: ResponseAPDU?) throws(Failure) -> Next {
        guard let r = response else { throw .transport(step: stepHere, detail: "no response") }
        if extendedLength {
            switch r.statusWord {
            case .success, .endOfFile: break
            case .fileNotFound where absentAllowed: return .done(nil)
            default: throw .unexpectedStatus(r.statusWord, step: step)
            }
            guard r.data.count <= maxFileSize else { throw .fileTooLarge(file: file, limit: maxFileSize) }
            return .done(try content(r.data, complete: true))
        }
        switch r.statusWord {
        case .success, .endOfFile:
            break
        case .fileNotFound where offset == 0 && absentAllowed:
            return .done(nil)
        case .wrongP1P2 where offset > 0:
            // Offset at the end of the file: the file is over.
            return .done(try content(data, complete: true))
        default:
            throw .unexpectedStatus(r.statusWord, step: stepHere)
        }
        data.append(contentsOf: r.data)
        guard data.count <= maxFileSize else { throw .fileTooLarge(file: file, limit: maxFileSize) }
        if r.statusWord == .endOfFile || r.data.count < 256 { return .done(try content(data, complete: true)) }
        if let c = try content(data, complete: false) { return .done(c) }
        offset += r.data.count
        guard offset <= 0x7FFF else { throw .fileTooLarge(file: file, limit: 0x7FFF) }
        do {
            return .send(try .readBinary(offset: offset, ne: 256), step: stepHere)
        } catch {
            throw .transport(step: stepHere, detail: error.description)
        }
    }

    /// The content up to the end marker; nil when more must be read (only when `complete` is false).
    private func content(_ data: [UInt8], complete: Bool) throws(Failure) -> [UInt8]? {
        let end: Int?
        do { end = try TLV.contentEnd(data) } catch {
            throw .corruptedTLV(file: file, offset: error.offset, reason: error.reason.rawValue)
        }
        if let end { return Array(data[..<end]) }
        // No end marker: a file that ends inside a TLV is reported by the decoder's full parse.
        return complete ? data : nil
    }
}
