/// An answer-to-reset (ATR, ISO 7816-3) parsed into its parts: convention, interface bytes, offered protocols,
/// historical bytes and the check byte.
public struct ATR: Hashable, Sendable, CustomStringConvertible {
    /// The bit convention announced by TS.
    public enum Convention: String, Hashable, Sendable {
        /// TS = `3B`.
        case direct
        /// TS = `3F`.
        case inverse
    }

    /// One group of interface bytes TAi, TBi, TCi, TDi.
    public struct InterfaceBytes: Hashable, Sendable {
        public var ta: UInt8?
        public var tb: UInt8?
        public var tc: UInt8?
        public var td: UInt8?
    }

    public let bytes: [UInt8]
    public let convention: Convention
    public let interfaceGroups: [InterfaceBytes]
    public let historicalBytes: [UInt8]
    /// The check byte, present when a protocol other than T=0 is offered.
    public let tck: UInt8?

    /// The protocols the card offers (T=0 when no TD1 says otherwise), in order, without duplicates.
    public var protocols: [Int] {
        var out: [Int] = []
        for group in interfaceGroups {
            if let td = group.td {
                let t = Int(td & 0x0F)
                if !out.contains(t) { out.append(t) }
            }
        }
        return out.isEmpty ? [0] : out
    }

    /// TA1 (Fi/Di), when present.
    public var ta1: UInt8? { interfaceGroups.first?.ta }

    /// Parses an ATR; a missing or wrong TCK, a truncated interface byte or historical byte is an error.
    public init(bytes: [UInt8]) throws(ATRError) {
        guard bytes.count >= 2 else { throw .tooShort(bytes.count) }
        guard bytes.count <= 33 else { throw .tooLong(bytes.count) }
        switch bytes[0] {
        case 0x3B: convention = .direct
        case 0x3F: convention = .inverse
        default: throw .unknownConvention(bytes[0])
        }
        var index = 1
        var y = bytes[1] >> 4
        let historicalCount = Int(bytes[1] & 0x0F)
        index = 2
        var groups: [InterfaceBytes] = []
        var needsTCK = false
        while true {
            var group = InterfaceBytes()
            func take() throws(ATRError) -> UInt8 {
                guard index < bytes.count else { throw .truncated(at: index) }
                defer { index += 1 }
                return bytes[index]
            }
            if y & 0x1 != 0 { group.ta = try take() }
            if y & 0x2 != 0 { group.tb = try take() }
            if y & 0x4 != 0 { group.tc = try take() }
            if y & 0x8 != 0 { group.td = try take() }
            groups.append(group)
            guard let td = group.td else { break }
            if td & 0x0F != 0 { needsTCK = true }
            y = td >> 4
        }
        guard bytes.count - index >= historicalCount else { throw .truncated(at: bytes.count) }
        historicalBytes = Array(bytes[index..<(index + historicalCount)])
        index += historicalCount
        if needsTCK {
            guard index < bytes.count else { throw .missingTCK }
            tck = bytes[index]
            var x: UInt8 = 0
            for b in bytes[1...index] { x ^= b }
            guard x == 0 else { throw .badTCK(expected: bytes[index] ^ x, found: bytes[index]) }
            index += 1
        } else {
            tck = nil
        }
        guard index == bytes.count else { throw .trailingBytes(bytes.count - index) }
        self.bytes = bytes
        self.interfaceGroups = groups
    }

    public var description: String {
        bytes.map { b in let s = String(b, radix: 16, uppercase: true); return b < 16 ? "0" + s : s }.joined(separator: " ")
    }
}

/// Why an ATR could not be parsed.
public enum ATRError: Error, Hashable, Sendable, CustomStringConvertible {
    case tooShort(Int)
    case tooLong(Int)
    case unknownConvention(UInt8)
    case truncated(at: Int)
    case missingTCK
    case badTCK(expected: UInt8, found: UInt8)
    case trailingBytes(Int)

    public var description: String {
        switch self {
        case .tooShort(let n): return "ATR of \(n) byte(s) is too short (TS and T0 are required)"
        case .tooLong(let n): return "ATR of \(n) bytes exceeds the 33-byte maximum"
        case .unknownConvention(let ts): return "TS byte \(String(ts, radix: 16)) is neither 3B (direct) nor 3F (inverse)"
        case .truncated(let at): return "ATR ends at byte \(at) before its announced interface or historical bytes"
        case .missingTCK: return "ATR offers a protocol other than T=0 but has no TCK"
        case .badTCK(let e, let f): return "ATR check byte is \(String(f, radix: 16)), expected \(String(e, radix: 16))"
        case .trailingBytes(let n): return "ATR has \(n) unexpected byte(s) after its end"
        }
    }
}
