import ISO7816

/// Reads a carte Vitale 2 through any ``CardChannel`` (PC/SC, emulated in-process) with the fewest APDUs the
/// layout allows (`docs/card-layout.md`, 2.5): SELECT MF, READ BINARY identity (SFI 2), SELECT VITALE,
/// READ BINARY NIR (SFI 2), READ BINARY rights (SFI 3): five APDUs for a card whose files fit in 256 bytes,
/// one more per further 256 bytes of a file.
///
/// Transports that carry extended APDUs (in-process, pcscd's virtual reader) may set
/// ``Options/extendedLength`` to read each file in one APDU whatever its size; real Vitale 2 cards are
/// T=0 and cannot carry them, so it is off by default.
public struct VitaleReader: Sendable {
    /// How the reader talks to the card.
    public struct Options: Sendable, Hashable {
        /// Read whole files with one extended READ BINARY (`00 B0 8x 00 00 00 00`).
        public var extendedLength: Bool
        /// The largest file accepted (a card that streams data without an end marker is refused).
        public var maxFileSize: Int
        /// How long one exchange may take before the card is declared mute
        /// (``VitaleError/cardMute(step:timeout:)``); nil: wait as long as the transport does. Some readers (and
        /// pcscd's virtual driver) wait forever for a card that stopped answering.
        public var apduTimeout: Duration?

        public init(extendedLength: Bool = false, maxFileSize: Int = 16 * 1024, apduTimeout: Duration? = defaultAPDUTimeout) {
            self.extendedLength = extendedLength
            self.maxFileSize = maxFileSize
            self.apduTimeout = apduTimeout
        }
    }

    /// The VITALE application identifier (`D2 50 00 00 02 'VITALE'`).
    public static let vitaleAID: [UInt8] = [0xD2, 0x50, 0x00, 0x00, 0x02, 0x56, 0x49, 0x54, 0x41, 0x4C, 0x45]

    public var options: Options

    public init(options: Options = Options()) { self.options = options }

    /// Recognises the card from `atr` and reads it whole.
    ///
    /// Throws ``VitaleError/legacyVitale1(atr:)`` or ``VitaleError/notAVitaleCard(atr:)`` without sending an
    /// APDU when the ATR is not a Vitale 2; otherwise any failure (card removed, mute card, status word,
    /// corrupted file, invalid NIR, files that disagree) throws and nothing is returned.
    public func read(from channel: some CardChannel, atr: [UInt8]) async throws(VitaleError) -> VitaleCard {
        switch VitaleGeneration(atr: atr) {
        case .vitale2: break
        case .vitale1: throw .legacyVitale1(atr: Hex.encode(atr, separator: " "))
        case .notVitale: throw .notAVitaleCard(atr: Hex.encode(atr, separator: " "))
        }
        let files = try await readFiles(from: channel)
        return try VitaleDecoder.decode(atr: atr, identity: files.identity, nir: files.nir, rights: files.rights)
    }

    /// The raw contents of the three files (up to their end marker), as read; `rights` is nil when the card
    /// has no rights file (`6A82`).
    public struct Files: Sendable, Hashable {
        public var identity: [UInt8]
        public var nir: [UInt8]
        public var rights: [UInt8]?
    }

    /// Reads the three files without decoding them (for tools and benchmarks).
    public func readFiles(from channel: some CardChannel) async throws(VitaleError) -> Files {
        try await withAPDUDeadline(options.apduTimeout, on: channel) { card throws(VitaleError) in
            try await expectSuccess(card, try command(.selectMF), step: "SELECT MF")
            let identity = try await readFile(card, sfi: 2, file: .identity)
            try await expectSuccess(card, try command(.selectVitale), step: "SELECT VITALE application")
            let nir = try await readFile(card, sfi: 2, file: .nir)
            let rights = try await readFile(card, sfi: 3, file: .rights, absentAllowed: true)
            guard let identity, let nir else {
                throw .unexpectedStatus(.fileNotFound, step: identity == nil ? "READ BINARY \(VitaleFile.identity)" : "READ BINARY \(VitaleFile.nir)")
            }
            return Files(identity: identity, nir: nir, rights: rights)
        }
    }

    /// The APDU sequence of a whole read of a card whose files each fit in 256 bytes (the layout's minimum),
    /// for clients that replay it (the pyscard benchmark).
    public static func minimalSequence() -> [[UInt8]] {
        [
            [0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00],
            [0x00, 0xB0, 0x82, 0x00, 0x00],
            [0x00, 0xA4, 0x04, 0x0C, 0x0B] + vitaleAID,
            [0x00, 0xB0, 0x82, 0x00, 0x00],
            [0x00, 0xB0, 0x83, 0x00, 0x00],
        ]
    }

    // MARK: Steps

    /// The card under the read's per-exchange deadline.
    typealias Card = DeadlineChannel<VitaleError>

    enum Fixed { case selectMF, selectVitale }

    func command(_ which: Fixed) throws(VitaleError) -> CommandAPDU {
        do {
            switch which {
            case .selectMF: return try CommandAPDU(ins: 0xA4, p1: 0x00, p2: 0x0C, data: [0x3F, 0x00])
            case .selectVitale: return try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: Self.vitaleAID)
            }
        } catch {
            throw .transport(step: "building a command", detail: error.description)
        }
    }

    func expectSuccess(_ card: Card, _ command: CommandAPDU, step: String) async throws(VitaleError) {
        let response = try await card.send(command, step: step)
        guard response.statusWord == .success else { throw .unexpectedStatus(response.statusWord, step: step) }
    }

    /// Reads a file by SFI, chunk after chunk until its end marker. Returns nil for `6A82` when allowed.
    func readFile(_ card: Card, sfi: UInt8, file: VitaleFile, absentAllowed: Bool = false) async throws(VitaleError) -> [UInt8]? {
        let step = "READ BINARY \(file)"
        if options.extendedLength {
            let cmd: CommandAPDU
            do { cmd = try CommandAPDU(ins: 0xB0, p1: 0x80 | sfi, p2: 0, ne: 65536, extended: true) } catch {
                throw .transport(step: step, detail: error.description)
            }
            let r = try await card.send(cmd, step: step)
            switch r.statusWord {
            case .success, .endOfFile: break
            case .fileNotFound where absentAllowed: return nil
            default: throw .unexpectedStatus(r.statusWord, step: step)
            }
            guard r.data.count <= options.maxFileSize else { throw .fileTooLarge(file: file, limit: options.maxFileSize) }
            return try content(r.data, file: file, complete: true)
        }

        var data: [UInt8] = []
        var offset = 0
        while true {
            let cmd: CommandAPDU
            do {
                cmd = offset == 0
                    ? try .readBinary(sfi: sfi, offset: 0, ne: 256)
                    : try .readBinary(offset: offset, ne: 256)
            } catch {
                throw .transport(step: step, detail: error.description)
            }
            let r = try await card.send(cmd, step: offset == 0 ? step : "\(step) at offset \(offset)")
            switch r.statusWord {
            case .success, .endOfFile:
                break
            case .fileNotFound where offset == 0 && absentAllowed:
                return nil
            case .wrongP1P2 where offset > 0:
                // Offset at the end of the file: the file is over.
                return try content(data, file: file, complete: true)
            default:
                throw .unexpectedStatus(r.statusWord, step: offset == 0 ? step : "\(step) at offset \(offset)")
            }
            data.append(contentsOf: r.data)
            guard data.count <= options.maxFileSize else { throw .fileTooLarge(file: file, limit: options.maxFileSize) }
            let ended = r.statusWord == .endOfFile || r.data.count < 256
            if ended { return try content(data, file: file, complete: true) }
            if let c = try content(data, file: file, complete: false) { return c }
            offset += r.data.count
            guard offset <= 0x7FFF else { throw .fileTooLarge(file: file, limit: 0x7FFF) }
        }
    }

    /// The content up to the end marker; nil when more must be read (only when `complete` is false).
    func content(_ data: [UInt8], file: VitaleFile, complete: Bool) throws(VitaleError) -> [UInt8]? {
        let end: Int?
        do { end = try VitaleDecoder.contentEnd(data) } catch {
            throw .corruptedTLV(file: file, offset: error.offset, reason: error.reason.rawValue)
        }
        if let end { return Array(data[..<end]) }
        // No end marker: a file that ends inside a TLV is reported by the decoder's full parse.
        return complete ? data : nil
    }
}
