/// Amounts of one act line, in integer cents, filled by ``ClaimPricer``.
public struct ActAmounts: Sendable, Hashable {
    /// Base de remboursement: the tariff (after the CCAM association rule) × quantity.
    public var base: UInt32 = 0
    /// Total charged: base + overcharge.
    public var total: UInt32 = 0
    /// AMO share of the base before the participation forfaitaire (which is taken on the FSE).
    public var amo: UInt32 = 0
    /// Complementary (AMC) share: the ticket modérateur, when an AMC takes part.
    public var amc: UInt32 = 0
    /// Patient share: total − AMO − AMC.
    public var patient: UInt32 = 0
    public init() {}
}

/// One act line of an FSE: NGAP (key letter × coefficient, with majorations) or CCAM (code, activity,
/// phase). Inline storage: an `Act` holds no reference.
public struct Act: Sendable, Hashable {
    public var kind: ActKind
    /// NGAP key letter (`G`, `TCG`, `VG` …) or CCAM code (`DEQP003`).
    public var code: ActCode
    /// NGAP coefficient in hundredths (100 = × 1, 150 = × 1.5); 100 for CCAM.
    public var coefficient: UInt16
    /// CCAM activity (1-5); 0 for NGAP.
    public var activity: UInt8
    /// CCAM phase (0-3); 0 for NGAP.
    public var phase: UInt8
    /// Date the act was done.
    public var date: ClaimDate
    /// Quantity (1-99; CCAM: 1).
    public var quantity: UInt8
    /// Majorations added to an NGAP act (`MEG`, `MHP`, `MD` …).
    public var majorations: Majorations
    /// Dépassement d'honoraires in cents (only for code conventionnel 0, 2 or 3).
    public var overcharge: UInt32
    /// Computed amounts (zero until priced).
    public var amounts: ActAmounts

    /// An NGAP act: `G` × 1 is `.ngap("G", date: d)`.
    public static func ngap(
        _ code: ActCode, coefficient: UInt16 = 100, majorations: Majorations = [], date: ClaimDate,
        quantity: UInt8 = 1, overcharge: UInt32 = 0
    ) -> Act {
        Act(kind: .ngap, code: code, coefficient: coefficient, activity: 0, phase: 0, date: date, quantity: quantity,
            majorations: majorations, overcharge: overcharge, amounts: ActAmounts())
    }

    /// A CCAM act: `.ccam("DEQP003", date: d)` (activity 1, phase 0 by default).
    public static func ccam(_ code: ActCode, activity: UInt8 = 1, phase: UInt8 = 0, date: ClaimDate, overcharge: UInt32 = 0) -> Act {
        Act(kind: .ccam, code: code, coefficient: 100, activity: activity, phase: phase, date: date, quantity: 1,
            majorations: [], overcharge: overcharge, amounts: ActAmounts())
    }

    public init(
        kind: ActKind, code: ActCode, coefficient: UInt16, activity: UInt8, phase: UInt8, date: ClaimDate,
        quantity: UInt8, majorations: Majorations, overcharge: UInt32, amounts: ActAmounts
    ) {
        self.kind = kind
        self.code = code
        self.coefficient = coefficient
        self.activity = activity
        self.phase = phase
        self.date = date
        self.quantity = quantity
        self.majorations = majorations
        self.overcharge = overcharge
        self.amounts = amounts
    }
}
