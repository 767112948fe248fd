/// Offsets and constants of the lot (format 1). `docs/fse-format.md` is the normative description.
@usableFromInline
enum LotWire {
    /// `OVL1`.
    @usableFromInline static let magic: UInt32 = 0x4F56_4C31
    /// `OVT1`.
    @usableFromInline static let trailerMagic: UInt32 = 0x4F56_5431
    @usableFromInline static let headerSize = 76
    @usableFromInline static let trailerSize = 136
    /// Offset in the trailer of the digest; the digest covers the lot up to there.
    @usableFromInline static let digestOffset = 40
    @usableFromInline static let signatureSize = 64
    @usableFromInline static let testFlag: UInt8 = 0x01
}

/// Limits a lot must respect, checked by the builder (which splits) and by the decoder (which refuses).
public struct LotLimits: Sendable, Hashable {
    /// The most FSEs in one lot.
    public var maximumFSEs: Int
    /// The most bytes in one lot (header, FSEs with their signatures, trailer).
    public var maximumBytes: Int

    public init(maximumFSEs: Int = 1_000, maximumBytes: Int = 4 * 1024 * 1024) {
        self.maximumFSEs = maximumFSEs
        self.maximumBytes = maximumBytes
    }

    /// 1 000 FSEs, 4 MiB.
    public static let standard = LotLimits()
    /// The smallest lot: header, one FSE with one act, its signature and the trailer.
    public static let minimumBytes = LotWire.headerSize + FSEWire.size(acts: 1) + LotWire.signatureSize + LotWire.trailerSize
}

/// Sums of a lot in integer cents.
public struct LotTotals: Sendable, Hashable {
    public var total: UInt64 = 0
    public var amo: UInt64 = 0
    public var amc: UInt64 = 0
    public var patient: UInt64 = 0
    public init() {}

    mutating func add(_ totals: ClaimTotals) {
        total += UInt64(totals.total)
        amo += UInt64(totals.amo)
        amc += UInt64(totals.amc)
        patient += UInt64(totals.patient)
    }
}

/// The header of a lot.
public struct LotHeader: Sendable, Hashable {
    /// The sender's numéro de facturation.
    public var sender: BillingNumber
    /// The lot number, monotonic per sender (1...999 999 999).
    public var lotNumber: UInt32
    /// Creation date.
    public var creationDate: ClaimDate
    /// Creation time as `HHMMSS` (0...235959).
    public var creationTime: UInt32
    /// The organism all the lot's FSEs go to.
    public var destination: DestinationOrganism
    /// Number of FSEs.
    public var count: Int
    /// `true` when signed by a test card.
    public var isTest: Bool
    /// SHA-256 of the signer's public key (X9.63 uncompressed).
    public var signerFingerprint: Bytes32
}

/// A lot as built: its header and its bytes, ready to send.
public struct Lot: Sendable, Hashable {
    public var header: LotHeader
    /// Sums of the lot.
    public var totals: LotTotals
    /// The complete encoded lot.
    public var bytes: [UInt8]
}

/// A lot read and verified by ``LotDecoder``.
public struct DecodedLot: Sendable, Hashable {
    public var header: LotHeader
    /// The FSEs in lot order, each with its verified signature.
    public var invoices: [SignedFSE]
    /// The sums stated by the trailer (equal to the sums of the FSEs).
    public var totals: LotTotals
    /// The lot digest (SHA-256 of everything before it), which the lot signature signs.
    public var digest: Bytes32
    /// The lot signature.
    public var signature: ClaimSignature
}
