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
        /// How long one exchange may take before the card is declared mute (``VitaleError/cardMute(step:)``);
        /// nil: wait as long as the transport does. Some readers (and pcscd's virtual driver) wait forever for
        /// a card that stopped answering.
        public var apduTimeout: Duration?

        public init(extendedLength: Bool = false, maxFileSize: Int = 16 * 1024, apduTimeout: Duration? = .seconds(5)) {
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
    /// Throws ``VitaleError/legacyVitale1(atr:)`` or ``VitaleError/notAVitaleCard(atr:reason:)`` without sending
    /// an APDU when the ATR is not a Vitale 2, and ``VitaleError/notAVitaleCard(atr:reason:)`` too for a card with
    /// a Vitale 2 ATR that has no master file, or neither the identity file nor the VITALE application (it answers
    /// `6A82`, `6D00`, `6E00`…: ``StatusWord/isNotFoundOrNotSupported``); otherwise any failure (card removed, mute
    /// card, status word, corrupted file, invalid NIR, files that disagree) throws and nothing is returned.
    public func read(from channel: some CardChannel, atr: [UInt8]) async throws(VitaleError) -> VitaleCard {
        let hex = Hex.encode(atr, separator: " ")
        switch VitaleGeneration(atr: atr) {
        case .vitale2: break
        case .vitale1: throw .legacyVitale1(atr: hex)
        case .notVitale: throw .notAVitaleCard(atr: hex)
        }
        let files: Files
        do {
            files = try await readFiles(from: channel)
        } catch {
            if case .notAVitaleCard(_, let reason) = error { throw .notAVitaleCard(atr: hex, reason: reason) }
            throw error
        }
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
    ///
    /// The whole read is one ``CardConversation`` (``FilesConversation``): a PC/SC card runs it on its own thread
    /// inside one PC/SC transaction, with no thread hop between the APDUs.
    public func readFiles(from channel: some CardChannel) async throws(VitaleError) -> Files {
        try await withAPDUDeadline(options.apduTimeout, on: channel) { card throws(VitaleError) in
            try await card.converse(FilesConversation(options: options))
        }
    }

}
