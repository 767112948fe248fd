/// Offsets and constants of the lot (format 1). `docs/fse-format.md` is the normative description:
/// ``Header`` and ``Trailer`` are its two tables, the only place the lot encoder and decoder take offsets from.
/// Constants are `@inlinable` computed properties, as in ``FSEWire`` (and for the same reason).
@usableFromInline
enum LotWire {
    /// `OVL1`.
    @inlinable static var magic: UInt32 { 0x4F56_4C31 }
    /// `OVT1`.
    @inlinable static var trailerMagic: UInt32 { 0x4F56_5431 }
    /// A magic number (`OVL1`, `OVT1`).
    @inlinable static var magicSize: Int { 4 }
    @inlinable static var headerSize: Int { 76 }
    @inlinable static var trailerSize: Int { 136 }
    @inlinable static var digestSize: Int { 32 }
    @inlinable static var signatureSize: Int { 64 }
    @inlinable static var testFlag: UInt8 { 0x01 }

    /// Offsets of the header's fields, from the start of the lot (table "Lot header (76 bytes)").
    @usableFromInline
    enum Header {
        /// `u32` magic, `OVL1`.
        @inlinable static var magic: Int { 0 }
        /// `u8` flags.
        @inlinable static var flags: Int { 4 }
        /// 3 reserved bytes (read as a `u8` and a `u16`).
        @inlinable static var reserved: Int { 5 }
        /// `u64` lot length.
        @inlinable static var lotLength: Int { 8 }
        /// `u32` sender.
        @inlinable static var sender: Int { 16 }
        /// `u32` lot number.
        @inlinable static var lotNumber: Int { 20 }
        /// `date` creation date.
        @inlinable static var creationDate: Int { 24 }
        /// `u32` creation time.
        @inlinable static var creationTime: Int { 28 }
        /// `u8` destination régime (the destination organism starts here).
        @inlinable static var destinationRegime: Int { 32 }
        /// `u16` destination caisse.
        @inlinable static var destinationFund: Int { 33 }
        /// `u16` destination computing centre.
        @inlinable static var destinationComputingCentre: Int { 35 }
        /// 3 reserved bytes (read as a `u8` and a `u16`).
        @inlinable static var reservedAfterDestination: Int { 37 }
        /// `u32` FSE count.
        @inlinable static var fseCount: Int { 40 }
        /// 32 bytes signer fingerprint.
        @inlinable static var signerFingerprint: Int { 44 }
    }

    /// Offsets of the trailer's fields, from the start of the trailer, the last ``trailerSize`` bytes of the
    /// lot (table "Lot trailer (136 bytes …)").
    @usableFromInline
    enum Trailer {
        /// `u32` magic, `OVT1`.
        @inlinable static var magic: Int { 0 }
        /// `u32` FSE count.
        @inlinable static var fseCount: Int { 4 }
        /// `u64` total (the sums start here).
        @inlinable static var total: Int { 8 }
        /// `u64` AMO.
        @inlinable static var amo: Int { 16 }
        /// `u64` AMC.
        @inlinable static var amc: Int { 24 }
        /// `u64` patient.
        @inlinable static var patient: Int { 32 }
        /// 32 bytes digest: SHA-256 of the lot up to here.
        @inlinable static var digest: Int { 40 }
        /// 64 bytes lot signature.
        @inlinable static var signature: Int { 72 }
    }
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
