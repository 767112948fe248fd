/// The scope of a PC/SC context (`SCARD_SCOPE_…`). pcsc-lite accepts every scope and treats them alike.
public enum ContextScope: Sendable, Hashable {
    /// `SCARD_SCOPE_USER`.
    case user
    /// `SCARD_SCOPE_TERMINAL`.
    case terminal
    /// `SCARD_SCOPE_SYSTEM`, the usual choice.
    case system
    /// `SCARD_SCOPE_GLOBAL`.
    case global

    var code: UInt {
        switch self {
        case .user: 0
        case .terminal: 1
        case .system: 2
        case .global: 3
        }
    }
}

/// How a connection shares the card with other programs (`SCARD_SHARE_…`).
public enum ShareMode: Sendable, Hashable {
    /// `SCARD_SHARE_SHARED`: other programs may connect too (use transactions for exclusive sequences).
    case shared
    /// `SCARD_SHARE_EXCLUSIVE`: no other program may connect while this connection lasts.
    case exclusive
    /// `SCARD_SHARE_DIRECT`: talk to the reader itself (controls), even without a card.
    case direct

    var code: UInt {
        switch self {
        case .exclusive: 1
        case .shared: 2
        case .direct: 3
        }
    }
}

/// One transmission protocol between reader and card (`SCARD_PROTOCOL_…`).
public enum CardProtocol: Sendable, Hashable, CustomStringConvertible {
    /// `SCARD_PROTOCOL_T0`: character protocol; needs the `61XX`/`6CXX` loops (see `CardChannel.send`).
    case t0
    /// `SCARD_PROTOCOL_T1`: block protocol.
    case t1
    /// `SCARD_PROTOCOL_RAW`: raw exchange with the reader.
    case raw
    /// `SCARD_PROTOCOL_T15`.
    case t15

    init?(code: UInt) {
        switch code {
        case 1: self = .t0
        case 2: self = .t1
        case 4: self = .raw
        case 8: self = .t15
        default: return nil
        }
    }

    var code: UInt {
        switch self {
        case .t0: 1
        case .t1: 2
        case .raw: 4
        case .t15: 8
        }
    }

    public var description: String {
        switch self {
        case .t0: "T=0"
        case .t1: "T=1"
        case .raw: "raw"
        case .t15: "T=15"
        }
    }
}

/// The protocols a connection accepts; the reader picks one the card offers.
public struct CardProtocols: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// `SCARD_PROTOCOL_T0`.
    public static let t0 = CardProtocols(rawValue: 0x1)
    /// `SCARD_PROTOCOL_T1`.
    public static let t1 = CardProtocols(rawValue: 0x2)
    /// `SCARD_PROTOCOL_RAW`.
    public static let raw = CardProtocols(rawValue: 0x4)
    /// `SCARD_PROTOCOL_ANY`: T=0 or T=1.
    public static let any: CardProtocols = [.t0, .t1]
    /// No protocol (`SCARD_PROTOCOL_UNDEFINED`), for ``ShareMode/direct`` connections.
    public static let undefined: CardProtocols = []
}

/// What to do with the card when a connection or transaction ends (`SCARD_…_CARD`).
public enum Disposition: Sendable, Hashable {
    /// `SCARD_LEAVE_CARD`: leave it as it is.
    case leave
    /// `SCARD_RESET_CARD`: warm reset (selected files and verified PINs are forgotten).
    case reset
    /// `SCARD_UNPOWER_CARD`: power it down.
    case unpower
    /// `SCARD_EJECT_CARD`: eject it (readers that can).
    case eject

    var code: UInt {
        switch self {
        case .leave: 0
        case .reset: 1
        case .unpower: 2
        case .eject: 3
        }
    }
}
