/// A BER-TLV tag (ISO 7816-4 / X.690), up to four bytes, kept as the big-endian number of its bytes
/// (`0x65`, `0x7F21`, `0x5F37`).
public struct TLVTag: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public var rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(integerLiteral value: UInt32) { self.rawValue = value }

    /// The tag's bytes, first byte first.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        var started = false
        for shift in stride(from: 24, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: rawValue >> UInt32(shift))
            if byte != 0 || started || shift == 0 {
                out.append(byte)
                started = true
            }
        }
        return out
    }

    /// The first byte, which carries the class and the constructed bit.
    public var firstByte: UInt8 { bytes[0] }
    /// True when the value holds nested TLVs (bit 6 of the first byte).
    public var isConstructed: Bool { firstByte & 0x20 != 0 }

    public var description: String {
        bytes.map { b in let s = String(b, radix: 16, uppercase: true); return b < 16 ? "0" + s : s }.joined()
    }
}

/// What is wrong with a BER-TLV encoding, and at which byte offset.
public struct TLVError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: String, Hashable, Sendable {
        case truncatedTag = "tag runs past the end"
        case tagTooLong = "tag longer than 4 bytes"
        case truncatedLength = "length field runs past the end"
        case indefiniteLength = "indefinite length (0x80) is not allowed"
        case lengthTooLong = "length field longer than 4 bytes"
        case valueOverrun = "value runs past the end"
        case notConstructed = "children asked of a primitive tag"
        case tooDeep = "nesting deeper than allowed"
    }
    public var reason: Reason
    /// Offset of the faulty field, counted from the start of the parsed buffer.
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "malformed BER-TLV at byte \(offset): \(reason.rawValue)" }
}

/// One BER-TLV data object. Its value is a slice of the parsed buffer: parsing copies nothing.
public struct TLV: Hashable, Sendable {
    public var tag: TLVTag
    public var value: ArraySlice<UInt8>

    public init(tag: TLVTag, value: ArraySlice<UInt8>) {
        self.tag = tag
        self.value = value
    }

    /// Parses every TLV of `bytes`, skipping `00` and `FF` padding between and after them.
    public static func parseAll(_ bytes: ArraySlice<UInt8>) throws(TLVError) -> [TLV] {
        var reader = TLVReader(bytes)
        var out: [TLV] = []
        while let tlv = try reader.next() { out.append(tlv) }
        return out
    }

    /// Parses every TLV of `bytes`.
    public static func parseAll(_ bytes: [UInt8]) throws(TLVError) -> [TLV] { try parseAll(bytes[...]) }

    /// The nested TLVs of a constructed object.
    public func children() throws(TLVError) -> [TLV] {
        guard tag.isConstructed else { throw TLVError(.notConstructed, at: value.startIndex) }
        return try TLV.parseAll(value)
    }

    /// The first child with `tag`, if any.
    public func child(_ tag: TLVTag) throws(TLVError) -> TLV? {
        var reader = TLVReader(value)
        while let tlv = try reader.next() {
            if tlv.tag == tag { return tlv }
        }
        return nil
    }

    /// The encoded object.
    public var bytes: [UInt8] {
        var writer = TLVWriter()
        writer.append(tag: tag, value: value)
        return writer.bytes
    }
}

/// Reads TLVs one after the other from a byte slice, never reading past its end and never trapping.
public struct TLVReader: Sendable {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.position = bytes.startIndex
    }

    /// True when only padding (or nothing) is left.
    public var isAtEnd: Bool {
        var p = position
        while p < bytes.endIndex, bytes[p] == 0x00 || bytes[p] == 0xFF { p += 1 }
        return p >= bytes.endIndex
    }

    /// The next TLV, or nil at the end of the data (padding included).
    public mutating func next() throws(TLVError) -> TLV? {
        let end = bytes.endIndex
        while position < end, bytes[position] == 0x00 || bytes[position] == 0xFF { position += 1 }
        guard position < end else { return nil }

        // Tag
        let tagStart = position
        var tag = UInt32(bytes[position])
        position += 1
        if bytes[tagStart] & 0x1F == 0x1F {
            var count = 1
            while true {
                guard position < end else { throw TLVError(.truncatedTag, at: tagStart) }
                let b = bytes[position]
                position += 1
                count += 1
                guard count <= 4 else { throw TLVError(.tagTooLong, at: tagStart) }
                tag = tag << 8 | UInt32(b)
                if b & 0x80 == 0 { break }
            }
        }

        // Length
        let lengthStart = position
        guard position < end else { throw TLVError(.truncatedLength, at: lengthStart) }
        let first = bytes[position]
        position += 1
        var length = 0
        if first < 0x80 {
            length = Int(first)
        } else if first == 0x80 {
            throw TLVError(.indefiniteLength, at: lengthStart)
        } else {
            let n = Int(first & 0x7F)
            guard n <= 4 else { throw TLVError(.lengthTooLong, at: lengthStart) }
            guard end - position >= n else { throw TLVError(.truncatedLength, at: lengthStart) }
            for _ in 0..<n {
                length = length << 8 | Int(bytes[position])
                position += 1
            }
        }

        // Value
        guard length <= end - position else { throw TLVError(.valueOverrun, at: lengthStart) }
        let value = bytes[position..<(position + length)]
        position += length
        return TLV(tag: TLVTag(rawValue: tag), value: value)
    }
}

/// Writes BER-TLVs by appending into one buffer, which can be reused across objects.
public struct TLVWriter: Sendable {
    public var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Empties the buffer, keeping its storage.
    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// Appends a primitive (or pre-encoded constructed) object.
    public mutating func append<Value: Collection>(tag: TLVTag, value: Value) where Value.Element == UInt8 {
        appendTag(tag)
        appendLength(value.count)
        bytes.append(contentsOf: value)
    }

    /// Appends a constructed object whose value `body` writes; the length is filled in afterwards.
    public mutating func appendConstructed<E: Error>(tag: TLVTag, _ body: (inout TLVWriter) throws(E) -> Void) throws(E) {
        appendTag(tag)
        let lengthAt = bytes.count
        bytes.append(0)
        try body(&self)
        let length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
        } else {
            var field: [UInt8] = []
            var rest = length
            while rest > 0 {
                field.insert(UInt8(truncatingIfNeeded: rest), at: 0)
                rest >>= 8
            }
            bytes[lengthAt] = 0x80 | UInt8(field.count)
            bytes.insert(contentsOf: field, at: lengthAt + 1)
        }
    }

    mutating func appendTag(_ tag: TLVTag) {
        bytes.append(contentsOf: tag.bytes)
    }

    mutating func appendLength(_ length: Int) {
        switch length {
        case ..<0x80: bytes.append(UInt8(length))
        case ..<0x100: bytes.append(contentsOf: [0x81, UInt8(length)])
        case ..<0x10000: bytes.append(contentsOf: [0x82, UInt8(length >> 8), UInt8(truncatingIfNeeded: length)])
        case ..<0x100_0000:
            bytes.append(contentsOf: [0x83, UInt8(length >> 16), UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)])
        default:
            bytes.append(contentsOf: [0x84, UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                                      UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)])
        }
    }
}
