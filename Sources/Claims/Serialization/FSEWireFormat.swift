/// Offsets and constants of the FSE record (format 1). `docs/fse-format.md` is the normative description:
/// ``Field`` and ``Act`` are its two tables, the only place the encoder and the decoders take offsets from.
///
/// Every constant is an `@inlinable` computed property returning a literal, not a `static let`: a client module
/// that inlines the encoder then folds each one into an immediate. (With `@usableFromInline static let`, the
/// optimizer folds the value but, for a constant used more than once, can keep a call to its addressor in
/// the client, Swift 6.3.)
@usableFromInline
enum FSEWire {
    /// `OVF1`.
    @inlinable static var magic: UInt32 { 0x4F56_4631 }
    @inlinable static var headerSize: Int { 126 }
    @inlinable static var actSize: Int { 75 }
    @inlinable static var maximumSize: Int { headerSize + FSE.maximumActs * actSize }
    /// The bytes a decoder needs to learn the record's length: magic and record length.
    @inlinable static var prefixSize: Int { 6 }
    /// A `nir15` field, read and written as two `u64`: one at the field's offset, one ``nirSecondWord``
    /// bytes further, whose last byte (the 16th) is zero and belongs to the next field.
    @inlinable static var nirSize: Int { 15 }
    /// Within a `nir15` field, the offset of the second `u64` of its packed form.
    @inlinable static var nirSecondWord: Int { 8 }
    /// A `code8` field (an act code, a majoration slot).
    @inlinable static var codeSize: Int { 8 }

    /// Offsets of the header's fields, from the start of the record (table "Header (126 bytes)").
    @usableFromInline
    enum Field {
        /// `u32` magic, `OVF1`.
        @inlinable static var magic: Int { 0 }
        /// `u16` record length.
        @inlinable static var recordLength: Int { 4 }
        /// `u8` presence flags.
        @inlinable static var presence: Int { 6 }
        /// `u8` option flags.
        @inlinable static var options: Int { 7 }
        /// `u32` invoice number.
        @inlinable static var invoiceNumber: Int { 8 }
        /// `date` invoice date.
        @inlinable static var invoiceDate: Int { 12 }
        /// `u8` nature of operation.
        @inlinable static var operation: Int { 16 }
        /// `u32` corrected invoice number.
        @inlinable static var correctedNumber: Int { 17 }
        /// `date` corrected invoice date.
        @inlinable static var correctedDate: Int { 21 }
        /// `u32` billing number.
        @inlinable static var billingNumber: Int { 25 }
        /// `u8` situation number.
        @inlinable static var situationNumber: Int { 29 }
        /// `u8` mode d'exercice.
        @inlinable static var practiceMode: Int { 30 }
        /// `u8` code conventionnel.
        @inlinable static var conventionCode: Int { 31 }
        /// `u8` spécialité.
        @inlinable static var specialty: Int { 32 }
        /// `u8` zone tarifaire.
        @inlinable static var tariffZone: Int { 33 }
        /// `u8` zone IK.
        @inlinable static var ikZone: Int { 34 }
        /// `nir15` NIR.
        @inlinable static var nir: Int { 35 }
        /// `nir15` individual NIR.
        @inlinable static var individualNIR: Int { 50 }
        /// `birthdate` date of birth.
        @inlinable static var birthDate: Int { 65 }
        /// `u8` rang.
        @inlinable static var rank: Int { 69 }
        /// `u8` qualité.
        @inlinable static var quality: Int { 70 }
        /// `u16` code situation.
        @inlinable static var situationCode: Int { 71 }
        /// `date` rights start.
        @inlinable static var rightsStart: Int { 73 }
        /// `date` rights end.
        @inlinable static var rightsEnd: Int { 77 }
        /// `u8` AMO régime (the AMO organism, and the destination, start here).
        @inlinable static var amoRegime: Int { 81 }
        /// `u16` AMO caisse.
        @inlinable static var amoFund: Int { 82 }
        /// `u16` AMO centre.
        @inlinable static var amoCentre: Int { 84 }
        /// `u16` AMO computing centre.
        @inlinable static var amoComputingCentre: Int { 86 }
        /// `u64` AMC number.
        @inlinable static var amcNumber: Int { 88 }
        /// `u16` nature d'assurance.
        @inlinable static var insuranceNature: Int { 96 }
        /// `u8` parcours de soins.
        @inlinable static var parcours: Int { 98 }
        /// `u8` exonération.
        @inlinable static var exoneration: Int { 99 }
        /// `u32` total (the totals start here).
        @inlinable static var total: Int { 100 }
        /// `u32` base.
        @inlinable static var base: Int { 104 }
        /// `u32` AMO.
        @inlinable static var amo: Int { 108 }
        /// `u32` AMC.
        @inlinable static var amc: Int { 112 }
        /// `u32` patient.
        @inlinable static var patient: Int { 116 }
        /// `u32` participation forfaitaire.
        @inlinable static var participationForfaitaire: Int { 120 }
        /// `u8` AMO rate.
        @inlinable static var amoRate: Int { 124 }
        /// `u8` act count.
        @inlinable static var actCount: Int { 125 }
    }

    /// Offsets of an act line's fields, from the start of the line (table "Act line"); line `i` (0-based)
    /// starts at `headerSize + i * actSize`.
    @usableFromInline
    enum Act {
        /// `u8` kind.
        @inlinable static var kind: Int { 0 }
        /// `code8` code.
        @inlinable static var code: Int { 1 }
        /// `u16` coefficient.
        @inlinable static var coefficient: Int { 9 }
        /// `u8` activity.
        @inlinable static var activity: Int { 11 }
        /// `u8` phase.
        @inlinable static var phase: Int { 12 }
        /// `u8` quantity.
        @inlinable static var quantity: Int { 13 }
        /// `u8` majoration count.
        @inlinable static var majorationCount: Int { 14 }
        /// `date` act date.
        @inlinable static var date: Int { 15 }
        /// `4 × code8` majorations (see ``majoration(_:)``).
        @inlinable static var majorations: Int { 19 }
        /// `u32` base (the line's amounts start here).
        @inlinable static var base: Int { 51 }
        /// `u32` overcharge.
        @inlinable static var overcharge: Int { 55 }
        /// `u32` total.
        @inlinable static var total: Int { 59 }
        /// `u32` AMO.
        @inlinable static var amo: Int { 63 }
        /// `u32` AMC.
        @inlinable static var amc: Int { 67 }
        /// `u32` patient.
        @inlinable static var patient: Int { 71 }

        /// The offset of majoration slot `slot` (0-based, 0..<4).
        @inlinable @inline(__always)
        static func majoration(_ slot: Int) -> Int { majorations + slot * codeSize }
    }

    // Presence flags (`Field.presence`).
    @inlinable static var hasCorrected: UInt8 { 0x01 }
    @inlinable static var hasAMC: UInt8 { 0x02 }
    @inlinable static var hasIndividualNIR: UInt8 { 0x04 }
    @inlinable static var hasRights: UInt8 { 0x08 }
    @inlinable static var hasRightsEnd: UInt8 { 0x10 }
    @inlinable static var presenceMask: UInt8 { 0x1F }
    // Option flags (`Field.options`).
    @inlinable static var withoutCard: UInt8 { 0x01 }
    @inlinable static var tiersPayantAMO: UInt8 { 0x02 }
    @inlinable static var tiersPayantAMC: UInt8 { 0x04 }
    @inlinable static var maySignInvoice: UInt8 { 0x08 }
    @inlinable static var maySignLot: UInt8 { 0x10 }
    @inlinable static var optionMask: UInt8 { 0x1F }

    /// The size of a record with `acts` act lines.
    @inlinable @inline(__always)
    static func size(acts: Int) -> Int { headerSize + acts * actSize }
}

/// Why an FSE could not be encoded.
public enum FSEEncodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No act line, or more than ``FSE/maximumActs``.
    case actCount(Int)
    public var description: String { "cannot encode an FSE with \(self.count) act(s): 1 to \(FSE.maximumActs) allowed" }
    private var count: Int { switch self { case .actCount(let n): return n } }
}

/// Why bytes are not a valid FSE record: what is wrong, in which field, at which byte offset (from the start
/// of the input given to the decoder, or of the lot for the lot decoder).
public struct FSEDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of defect.
    public enum Reason: Sendable, Hashable {
        /// The input ends inside the record.
        case truncated
        /// The record does not start with `OVF1`.
        case badMagic
        /// The record length field disagrees with the act count, or exceeds what the input holds.
        case badLength
        /// A field holds a value outside its domain (unknown code, invalid date, bad NIR key …).
        case invalidValue
        /// A reserved bit or an absent field's bytes are not zero.
        case nonCanonical
        /// Amounts that do not add up.
        case inconsistentAmounts
        /// Bytes after the record.
        case trailingBytes
    }

    public var reason: Reason
    /// Byte offset of the offending field.
    public var offset: Int
    /// The field's name in `docs/fse-format.md`.
    public var field: StaticString

    @inlinable
    public init(_ reason: Reason, _ offset: Int, _ field: StaticString) {
        self.reason = reason
        self.offset = offset
        self.field = field
    }

    public static func == (lhs: FSEDecodingError, rhs: FSEDecodingError) -> Bool {
        lhs.reason == rhs.reason && lhs.offset == rhs.offset && "\(lhs.field)" == "\(rhs.field)"
    }

    public var description: String {
        let what: String
        switch reason {
        case .truncated: what = "truncated"
        case .badMagic: what = "not an FSE record (magic is not OVF1)"
        case .badLength: what = "wrong record length"
        case .invalidValue: what = "invalid value"
        case .nonCanonical: what = "non-canonical encoding (reserved or absent bytes not zero)"
        case .inconsistentAmounts: what = "amounts do not add up"
        case .trailingBytes: what = "unexpected bytes after the record"
        }
        return "FSE: \(what) in field '\(field)' at byte \(offset)"
    }
}
