/// A short ASCII code stored inline (no heap): an NGAP key letter (`G`, `TCG`), a majoration (`MEG`) or a
/// CCAM code (`DEQP003`). One to eight characters among `A-Z` and `0-9`.
public struct ActCode: Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The characters, big-endian packed, zero-padded on the right.
    public let packed: UInt64

    /// Reads a code; upper case letters and digits, 1 to 8 characters.
    public init(_ text: some StringProtocol) throws(ActCodeError) {
        var packed: UInt64 = 0
        var count = 0
        for byte in text.utf8 {
            guard count < 8 else { throw .tooLong }
            guard (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) else { throw .invalidCharacter(position: count + 1) }
            packed |= UInt64(byte) << (8 * UInt64(7 - count))
            count += 1
        }
        guard count > 0 else { throw .empty }
        self.packed = packed
    }

    /// Checks a packed value read from the wire: characters `A-Z0-9` then only zero bytes, at least one.
    @inlinable
    public init?(packed: UInt64) {
        var seenEnd = false
        var count = 0
        for index in 0..<8 {
            let byte = UInt8(truncatingIfNeeded: packed >> (8 * UInt64(7 - index)))
            if byte == 0 { seenEnd = true; continue }
            guard !seenEnd, (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39) else { return nil }
            count += 1
        }
        guard count > 0 else { return nil }
        self.packed = packed
    }

    /// A code from a literal; a literal that is not a valid code is a programming error.
    public init(stringLiteral value: String) {
        do { try self.init(value) } catch { preconditionFailure("invalid act code literal \(value): \(error)") }
    }

    /// Number of characters.
    public var count: Int { 8 - packed.trailingZeroBitCount / 8 }

    public var description: String {
        var bytes: [UInt8] = []
        for index in 0..<count { bytes.append(UInt8(truncatingIfNeeded: packed >> (8 * UInt64(7 - index)))) }
        return String(decoding: bytes, as: UTF8.self)
    }

    public static func < (lhs: ActCode, rhs: ActCode) -> Bool { lhs.packed < rhs.packed }
}

/// Why a text is not an act code.
public enum ActCodeError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty, tooLong, invalidCharacter(position: Int)
    public var description: String {
        switch self {
        case .empty: return "act code is empty"
        case .tooLong: return "act code longer than 8 characters"
        case .invalidCharacter(let p): return "act code: character \(p) is not A-Z or 0-9"
        }
    }
}

/// Up to four majorations attached to an NGAP act (`MEG`, `MHP`, `MD` …), stored inline.
public struct Majorations: Sendable, Hashable, RandomAccessCollection, ExpressibleByArrayLiteral {
    /// The maximum number of majorations on one act.
    public static let capacity = 4
    @usableFromInline var slots: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    public private(set) var count: Int = 0

    public init() {}

    /// Up to four codes; more is a programming error (use ``init(validating:)`` for input).
    public init(arrayLiteral elements: ActCode...) {
        precondition(elements.count <= Majorations.capacity, "at most 4 majorations on one act")
        for element in elements { append(element) }
    }

    /// Up to four codes, or `nil` when there are more.
    public init?(validating codes: some Sequence<ActCode>) {
        for code in codes {
            guard count < Majorations.capacity else { return nil }
            append(code)
        }
    }

    mutating func append(_ code: ActCode) {
        switch count {
        case 0: slots.0 = code.packed
        case 1: slots.1 = code.packed
        case 2: slots.2 = code.packed
        default: slots.3 = code.packed
        }
        count += 1
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> ActCode {
        precondition(position >= 0 && position < count, "majoration index out of range")
        let raw: UInt64
        switch position {
        case 0: raw = slots.0
        case 1: raw = slots.1
        case 2: raw = slots.2
        default: raw = slots.3
        }
        return ActCode(packed: raw)!
    }

    public static func == (lhs: Majorations, rhs: Majorations) -> Bool {
        lhs.count == rhs.count && lhs.slots == rhs.slots
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for index in 0..<count { hasher.combine(packedSlot(index)) }
    }

    /// Packed slot value (zero for an unused slot), for the serializer.
    @inlinable
    func packedSlot(_ index: Int) -> UInt64 {
        switch index {
        case 0: return slots.0
        case 1: return slots.1
        case 2: return slots.2
        default: return slots.3
        }
    }
}
