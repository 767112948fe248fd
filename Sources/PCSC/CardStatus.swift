/// What `SCardStatus` says about a connected card: the reader, the card's state, the active protocol and the ATR.
public struct CardStatus: Sendable, Hashable {
    /// The card's state (`SCARD_ABSENT`, `SCARD_PRESENT`, `SCARD_POWERED`, …; pcsc-lite reports a bit mask).
    public struct State: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `SCARD_UNKNOWN`: the driver does not know the state.
        public static let unknown = State(rawValue: 0x01)
        /// `SCARD_ABSENT`: no card in the reader.
        public static let absent = State(rawValue: 0x02)
        /// `SCARD_PRESENT`: a card is in the reader.
        public static let present = State(rawValue: 0x04)
        /// `SCARD_SWALLOWED`: the card is in the reader but not powered.
        public static let swallowed = State(rawValue: 0x08)
        /// `SCARD_POWERED`: the card is powered.
        public static let powered = State(rawValue: 0x10)
        /// `SCARD_NEGOTIABLE`: the card is ready for protocol negotiation (PTS).
        public static let negotiable = State(rawValue: 0x20)
        /// `SCARD_SPECIFIC`: a protocol has been negotiated.
        public static let specific = State(rawValue: 0x40)
    }

    /// The reader's names (pcsc-lite gives one).
    public var readerNames: [String]
    public var state: State
    /// The protocol in use, nil when none is (a direct connection).
    public var activeProtocol: CardProtocol?
    /// The answer-to-reset, 1-33 bytes (parse it with `ISO7816.ATR`).
    public var atr: [UInt8]

    public init(readerNames: [String], state: State, activeProtocol: CardProtocol?, atr: [UInt8]) {
        self.readerNames = readerNames
        self.state = state
        self.activeProtocol = activeProtocol
        self.atr = atr
    }
}

/// A reader's state as `SCardGetStatusChange` reports it: flags, the event counter and the ATR of the card in it.
public struct ReaderState: Sendable, Hashable {
    /// The low 16 bits of a state word (`SCARD_STATE_…`).
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `SCARD_STATE_IGNORE`.
        public static let ignore = Flags(rawValue: 0x0001)
        /// `SCARD_STATE_CHANGED`: differs from the state the caller passed in.
        public static let changed = Flags(rawValue: 0x0002)
        /// `SCARD_STATE_UNKNOWN`: the reader is not known.
        public static let unknown = Flags(rawValue: 0x0004)
        /// `SCARD_STATE_UNAVAILABLE`: the reader's state is not available.
        public static let unavailable = Flags(rawValue: 0x0008)
        /// `SCARD_STATE_EMPTY`: no card in the reader.
        public static let empty = Flags(rawValue: 0x0010)
        /// `SCARD_STATE_PRESENT`: a card is in the reader.
        public static let present = Flags(rawValue: 0x0020)
        /// `SCARD_STATE_ATRMATCH`.
        public static let atrMatch = Flags(rawValue: 0x0040)
        /// `SCARD_STATE_EXCLUSIVE`: a program holds the card in exclusive mode.
        public static let exclusive = Flags(rawValue: 0x0080)
        /// `SCARD_STATE_INUSE`: a program is connected to the card (shared mode).
        public static let inUse = Flags(rawValue: 0x0100)
        /// `SCARD_STATE_MUTE`: a card is in the reader but does not answer the reset.
        public static let mute = Flags(rawValue: 0x0200)
        /// `SCARD_STATE_UNPOWERED`: the card is not powered.
        public static let unpowered = Flags(rawValue: 0x0400)
    }

    public var reader: String
    public var flags: Flags
    /// The upper 16 bits of the event state word: pcsc-lite counts card insertions and removals there.
    public var eventCount: Int
    /// The ATR of the card in the reader, empty when there is none.
    public var atr: [UInt8]

    public init(reader: String, flags: Flags, eventCount: Int, atr: [UInt8]) {
        self.reader = reader
        self.flags = flags
        self.eventCount = eventCount
        self.atr = atr
    }

    /// Splits a raw state word (`DWORD`) into flags and counter.
    init(reader: String, word: UInt, atr: [UInt8]) {
        self.init(
            reader: reader, flags: Flags(rawValue: UInt32(word & 0xFFFF)), eventCount: Int((word >> 16) & 0xFFFF),
            atr: atr)
    }

    /// True when a card is in the reader.
    public var hasCard: Bool { flags.contains(.present) }
}
