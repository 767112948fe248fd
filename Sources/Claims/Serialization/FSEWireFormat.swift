/// Offsets and constants of the FSE record (format 1). `docs/fse-format.md` is the normative description.
@usableFromInline
enum FSEWire {
    /// `OVF1`.
    @usableFromInline static let magic: UInt32 = 0x4F56_4631
    @usableFromInline static let headerSize = 126
    @usableFromInline static let actSize = 75
    @usableFromInline static let maximumSize = headerSize + FSE.maximumActs * actSize

    // Presence flags (byte 6).
    @usableFromInline static let hasCorrected: UInt8 = 0x01
    @usableFromInline static let hasAMC: UInt8 = 0x02
    @usableFromInline static let hasIndividualNIR: UInt8 = 0x04
    @usableFromInline static let hasRights: UInt8 = 0x08
    @usableFromInline static let hasRightsEnd: UInt8 = 0x10
    @usableFromInline static let presenceMask: UInt8 = 0x1F
    // Option flags (byte 7).
    @usableFromInline static let withoutCard: UInt8 = 0x01
    @usableFromInline static let tiersPayantAMO: UInt8 = 0x02
    @usableFromInline static let tiersPayantAMC: UInt8 = 0x04
    @usableFromInline static let maySignInvoice: UInt8 = 0x08
    @usableFromInline static let maySignLot: UInt8 = 0x10
    @usableFromInline static let optionMask: UInt8 = 0x1F

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
