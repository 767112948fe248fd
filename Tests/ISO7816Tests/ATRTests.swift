import Testing
@testable import ISO7816

@Suite("ATR parser")
struct ATRTests {
    @Test func vitale2() throws {
        let atr = try ATR(bytes: [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00])
        #expect(atr.convention == .direct)
        #expect(atr.ta1 == 0x13)
        #expect(atr.interfaceGroups.count == 1)
        #expect(atr.interfaceGroups[0].tb == 0x00 && atr.interfaceGroups[0].tc == 0x00 && atr.interfaceGroups[0].td == nil)
        #expect(atr.protocols == [0])
        #expect(atr.historicalBytes == [0x44, 0x09, 0xEA, 0x90, 0x00])
        #expect(atr.tck == nil)
        #expect(atr.description == "3B 75 13 00 00 44 09 EA 90 00")
    }

    @Test(arguments: [
        [UInt8(0x3B), 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00],
        [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x82, 0x02, 0x12, 0x00, 0x90, 0x00],
    ])
    func cps3(bytes: [UInt8]) throws {
        let atr = try ATR(bytes: bytes)
        #expect(atr.convention == .direct)
        #expect(atr.interfaceGroups.count == 2)
        #expect(atr.interfaceGroups[0].tb == 0x00 && atr.interfaceGroups[0].td == 0x40)
        #expect(atr.interfaceGroups[1].tc == 0x2A)
        #expect(atr.protocols == [0])
        #expect(atr.historicalBytes.count == 12)
        #expect(atr.historicalBytes.prefix(3) == [0x00, 0x12, 0x25])
        #expect(atr.tck == nil)
    }

    @Test func cpsV4() throws {
        let atr = try ATR(bytes: [0x3B, 0xDC, 0x18, 0xFF, 0x00, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x04, 0x01, 0x00, 0x90, 0x00])
        #expect(atr.ta1 == 0x18)
        #expect(atr.interfaceGroups[0].tc == 0xFF)
        #expect(atr.protocols == [0])
    }

    @Test(arguments: [
        [UInt8(0x3F), 0x65, 0x25, 0x00, 0x52, 0x09, 0x6A, 0x90, 0x00],
        [0x3F, 0x65, 0x25, 0x00, 0x22, 0x09, 0x69, 0x90, 0x00],
        [0x3F, 0x65, 0x25, 0x00, 0x2C, 0x09, 0xF9, 0x90, 0x00],
        [0x3F, 0x65, 0x25, 0x00, 0xA3, 0x09, 0x6A, 0x90, 0x00],
    ])
    func vitale1InverseConvention(bytes: [UInt8]) throws {
        let atr = try ATR(bytes: bytes)
        #expect(atr.convention == .inverse)
        #expect(atr.interfaceGroups[0].tb == 0x25 && atr.interfaceGroups[0].tc == 0x00)
        #expect(atr.historicalBytes.count == 5)
        #expect(atr.historicalBytes.suffix(2) == [0x90, 0x00])
        #expect(atr.protocols == [0])
    }

    /// `3B 8F 80 01 …`: T=1 offered, so the TCK is present and checked.
    let t1ATR: [UInt8] = [0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x01,
                          0x00, 0x00, 0x00, 0x00, 0x6A]

    @Test func tckIsChecked() throws {
        let atr = try ATR(bytes: t1ATR)
        #expect(atr.protocols == [0, 1])
        #expect(atr.tck == 0x6A)
        #expect(atr.historicalBytes.count == 15)
        var corrupted = t1ATR
        corrupted[corrupted.count - 1] = 0x6B
        #expect(throws: ATRError.badTCK(expected: 0x6A, found: 0x6B)) { try ATR(bytes: corrupted) }
        #expect(throws: ATRError.missingTCK) { try ATR(bytes: Array(t1ATR.dropLast())) }
    }

    @Test func t1OnlyCard() throws {
        // TD1 = 81 (T=1, TD2 follows), TD2 = 11 (T=1, TA3), TA3 = FE, no historical bytes; TCK makes XOR zero.
        var bytes: [UInt8] = [0x3B, 0x80, 0x81, 0x11, 0xFE]
        bytes.append(bytes.dropFirst().reduce(0, ^))
        let atr = try ATR(bytes: bytes)
        #expect(atr.protocols == [1])
        #expect(atr.interfaceGroups.count == 3)
        #expect(atr.interfaceGroups[2].ta == 0xFE)
    }

    @Test(arguments: [
        ([UInt8](), ATRError.tooShort(0)),
        ([0x3B], .tooShort(1)),
        ([0x3A, 0x00], .unknownConvention(0x3A)),
        ([0x3B, 0x75, 0x13, 0x00], .truncated(at: 4)),
        ([0x3B, 0x05, 0x01, 0x02], .truncated(at: 4)),
        ([0x3B, 0x00, 0x00], .trailingBytes(1)),
        ([UInt8](repeating: 0x3B, count: 34), .tooLong(34)),
    ])
    func malformed(bytes: [UInt8], error: ATRError) {
        #expect(throws: error) { try ATR(bytes: bytes) }
    }

    @Test func everyTruncationFailsCleanly() {
        for end in 0..<t1ATR.count {
            #expect(throws: ATRError.self) { try ATR(bytes: Array(t1ATR[..<end])) }
        }
    }
}
