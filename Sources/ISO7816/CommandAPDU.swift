/// A command APDU (ISO 7816-4): header, optional command data (Lc) and optional expected length (Le).
///
/// `ne` is the number of bytes expected (1 to 65536), `nil` when the command expects none. The encoding is
/// short when both fields fit and extended otherwise (or when `extended` is set); Lc and Le are always both
/// short or both extended.
public struct CommandAPDU: Hashable, Sendable, CustomStringConvertible {
    /// The seven ISO 7816-3 cases.
    public enum Case: String, Hashable, Sendable {
        case one = "1"
        case twoShort = "2S"
        case threeShort = "3S"
        case fourShort = "4S"
        case twoExtended = "2E"
        case threeExtended = "3E"
        case fourExtended = "4E"
    }

    public var cla: UInt8
    public var ins: UInt8
    public var p1: UInt8
    public var p2: UInt8
    public private(set) var data: [UInt8]
    public private(set) var ne: Int?
    public private(set) var extended: Bool

    /// Builds and validates a command: Lc 0-65535 (0 means no data), Ne 1-65536 or nil.
    public init(
        cla: UInt8 = 0x00, ins: UInt8, p1: UInt8, p2: UInt8,
        data: [UInt8] = [], ne: Int? = nil, extended: Bool = false
    ) throws(ISO7816Error) {
        guard data.count <= 65535 else { throw .invalidCommand("Lc \(data.count) exceeds 65535") }
        if let ne {
            guard (1...65536).contains(ne) else { throw .invalidCommand("Le \(ne) outside 1...65536") }
        }
        self.cla = cla
        self.ins = ins
        self.p1 = p1
        self.p2 = p2
        self.data = data
        self.ne = ne
        // A case 1 command has no length field to extend.
        self.extended = (extended && (!data.isEmpty || ne != nil)) || data.count > 255 || (ne ?? 0) > 256
    }

    /// The ISO case of this command's encoding.
    public var apduCase: Case {
        switch (data.isEmpty, ne == nil, extended) {
        case (true, true, _): return .one
        case (true, false, false): return .twoShort
        case (true, false, true): return .twoExtended
        case (false, true, false): return .threeShort
        case (false, true, true): return .threeExtended
        case (false, false, false): return .fourShort
        case (false, false, true): return .fourExtended
        }
    }

    /// Appends the encoded command to `buffer`.
    public func encode(into buffer: inout [UInt8]) {
        buffer.append(contentsOf: [cla, ins, p1, p2])
        let lc = data.count
        if !extended {
            if lc > 0 {
                buffer.append(UInt8(lc))
                buffer.append(contentsOf: data)
            }
            if let ne { buffer.append(UInt8(truncatingIfNeeded: ne == 256 ? 0 : ne)) }
        } else {
            if lc > 0 {
                buffer.append(0)
                buffer.append(UInt8(lc >> 8))
                buffer.append(UInt8(truncatingIfNeeded: lc))
                buffer.append(contentsOf: data)
            } else if ne != nil {
                buffer.append(0)
            }
            if let ne {
                let le = ne == 65536 ? 0 : ne
                buffer.append(UInt8(le >> 8))
                buffer.append(UInt8(truncatingIfNeeded: le))
            }
        }
    }

    /// The encoded command.
    public var bytes: [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(4 + data.count + 5)
        encode(into: &buffer)
        return buffer
    }

    /// Parses a command from its bytes, deciding the case by the total length.
    public init<Bytes: Collection>(bytes: Bytes) throws(ISO7816Error) where Bytes.Element == UInt8, Bytes.Index == Int {
        let count = bytes.count
        guard count >= 4 else { throw .invalidCommand("\(count) byte(s): a command has at least the 4 header bytes") }
        let s = bytes.startIndex
        func at(_ i: Int) -> UInt8 { bytes[s + i] }
        let (cla, ins, p1, p2) = (at(0), at(1), at(2), at(3))
        if count == 4 {
            try self.init(cla: cla, ins: ins, p1: p1, p2: p2)
            return
        }
        let b4 = Int(at(4))
        if count == 5 {
            try self.init(cla: cla, ins: ins, p1: p1, p2: p2, ne: b4 == 0 ? 256 : b4)
            return
        }
        if b4 != 0 {
            let lc = b4
            let data = Array(bytes[(s + 5)..<(s + min(count, 5 + lc))])
            if count == 5 + lc {
                try self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: data)
            } else if count == 6 + lc {
                let le = Int(at(count - 1))
                try self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: data, ne: le == 0 ? 256 : le)
                self.extended = false
            } else {
                throw .invalidCommand("short Lc \(lc) does not match the total length \(count)")
            }
            return
        }
        // b4 == 0: extended encoding.
        guard count >= 7 else { throw .invalidCommand("\(count) bytes with a zero byte at offset 4: neither short nor extended") }
        let word = Int(at(5)) << 8 | Int(at(6))
        if count == 7 {
            try self.init(cla: cla, ins: ins, p1: p1, p2: p2, ne: word == 0 ? 65536 : word, extended: true)
            return
        }
        let lc = word
        guard lc != 0 else { throw .invalidCommand("extended Lc of 0") }
        if count == 7 + lc {
            try self.init(cla: cla, ins: ins, p1: p1, p2: p2, data: Array(bytes[(s + 7)..<(s + 7 + lc)]), extended: true)
        } else if count == 9 + lc {
            let le = Int(at(count - 2)) << 8 | Int(at(count - 1))
            try self.init(
                cla: cla, ins: ins, p1: p1, p2: p2, data: Array(bytes[(s + 7)..<(s + 7 + lc)]),
                ne: le == 0 ? 65536 : le, extended: true)
        } else {
            throw .invalidCommand("extended Lc \(lc) does not match the total length \(count)")
        }
    }

    /// The same command asking for exactly `ne` bytes (used for the `6CXX` resend).
    public func withNe(_ ne: Int) throws(ISO7816Error) -> CommandAPDU {
        try CommandAPDU(cla: cla, ins: ins, p1: p1, p2: p2, data: data, ne: ne, extended: extended)
    }

    /// A short description for logs: header, case and lengths, never the data.
    public var description: String {
        func hex(_ b: UInt8) -> String { let s = String(b, radix: 16, uppercase: true); return b < 16 ? "0" + s : s }
        var text = "\(hex(cla)) \(hex(ins)) \(hex(p1)) \(hex(p2)) case \(apduCase.rawValue)"
        if !data.isEmpty { text += " Lc=\(data.count)" }
        if let ne { text += " Le=\(ne)" }
        return text
    }
}

extension CommandAPDU {
    /// SELECT by DF name (AID), P2 `00` (return FCI).
    public static func selectApplication(_ aid: [UInt8], ne: Int? = nil) throws(ISO7816Error) -> CommandAPDU {
        try CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x00, data: aid, ne: ne)
    }
    /// SELECT by file identifier (`00 A4 00 00 02 FID`, MF/DF/EF).
    public static func selectFile(_ fid: UInt16, p1: UInt8 = 0x00, ne: Int? = nil) throws(ISO7816Error) -> CommandAPDU {
        try CommandAPDU(ins: 0xA4, p1: p1, p2: 0x00, data: [UInt8(fid >> 8), UInt8(truncatingIfNeeded: fid)], ne: ne)
    }
    /// READ BINARY of the current EF at `offset` (0-32767).
    public static func readBinary(offset: Int, ne: Int) throws(ISO7816Error) -> CommandAPDU {
        guard (0...0x7FFF).contains(offset) else { throw .invalidCommand("READ BINARY offset \(offset) outside 0...32767") }
        return try CommandAPDU(ins: 0xB0, p1: UInt8(offset >> 8), p2: UInt8(truncatingIfNeeded: offset), ne: ne)
    }
    /// READ BINARY with a short file identifier (1-30) in P1, offset 0-255 in P2.
    public static func readBinary(sfi: UInt8, offset: UInt8 = 0, ne: Int) throws(ISO7816Error) -> CommandAPDU {
        guard (1...30).contains(sfi) else { throw .invalidCommand("short file identifier \(sfi) outside 1...30") }
        return try CommandAPDU(ins: 0xB0, p1: 0x80 | sfi, p2: offset, ne: ne)
    }
    /// READ RECORD `number` of the current EF (P2 `04`) or of the EF with short identifier `sfi`.
    public static func readRecord(_ number: UInt8, sfi: UInt8? = nil, ne: Int = 256) throws(ISO7816Error) -> CommandAPDU {
        try CommandAPDU(ins: 0xB2, p1: number, p2: (sfi.map { $0 << 3 } ?? 0) | 0x04, ne: ne)
    }
    /// GET RESPONSE for `ne` bytes, keeping the class byte's channel bits.
    public static func getResponse(cla: UInt8 = 0x00, ne: Int) throws(ISO7816Error) -> CommandAPDU {
        try CommandAPDU(cla: cla, ins: 0xC0, p1: 0x00, p2: 0x00, ne: ne)
    }
    /// VERIFY of reference data `reference` (a PIN) with `pin` bytes.
    public static func verify(reference: UInt8, pin: [UInt8]) throws(ISO7816Error) -> CommandAPDU {
        try CommandAPDU(ins: 0x20, p1: 0x00, p2: reference, data: pin)
    }
}
