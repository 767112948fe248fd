import GRDB

/// Where an FSE (feuille de soins électronique) stands in the outbox. States only move forward, in this order,
/// except that a refused FSE may be put back to ``signed`` to go in a new lot.
public enum ClaimState: String, Sendable, Codable, CaseIterable, Comparable, DatabaseValueConvertible {
    /// Built and stored, not yet signed by the CPS.
    case built
    /// Signed by the CPS, waiting for a lot.
    case signed
    /// Placed in a lot that is not yet sent.
    case inLot = "in_lot"
    /// Its lot was transmitted (at least once), no ARL yet.
    case sent
    /// Its lot got a positive ARL (accusé de réception logique): the practitioner's responsibility ends.
    case acknowledged
    /// Its lot got a negative ARL.
    case refused
    /// RSP: paid.
    case paid
    /// RSP: rejected, with a reason.
    case rejected

    private var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    /// True when nothing more will happen to the FSE without a person acting.
    public var isFinal: Bool { self == .paid || self == .rejected || self == .refused }
}

/// Where a lot stands in the outbox.
public enum LotState: String, Sendable, Codable, CaseIterable, DatabaseValueConvertible {
    /// Number allocated and FSEs chosen; its bytes are being built and signed.
    case assembling
    /// Bytes built, signed and stored; ready to send.
    case ready
    /// Transmitted at least once, no ARL yet (it is resent with the same bytes until one comes).
    case sent
    /// Positive ARL.
    case acknowledged
    /// Negative ARL.
    case refused
}
