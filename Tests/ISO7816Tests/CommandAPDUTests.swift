import Testing
@testable import ISO7816

@Suite("Command APDU encoding and parsing")
struct CommandAPDUTests {
    private func roundTrip(_ command: CommandAPDU, _ expected: [UInt8], _ expectedCase: CommandAPDU.Case) throws {
        #expect(command.bytes == expected)
        #expect(command.apduCase == expectedCase)
        let parsed = try CommandAPDU(bytes: expected)
        #expect(parsed == command)
        #expect(parsed.apduCase == expectedCase)
        #expect(parsed.bytes == expected)
    }

    @Test func case1() throws {
        try roundTrip(try CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x00, p2: 0x0C), [0x00, 0xA4, 0x00, 0x0C], .one)
    }

    @Test(arguments: [(1, UInt8(0x01)), (255, 0xFF), (256, 0x00)])
    func case2Short(ne: Int, le: UInt8) throws {
        try roundTrip(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: ne), [0x00, 0xB0, 0x00, 0x00, le], .twoShort)
    }

    @Test(arguments: [(257, [UInt8(0x01), 0x01]), (65535, [0xFF, 0xFF]), (65536, [0x00, 0x00]), (1, [0x00, 0x01])])
    func case2Extended(ne: Int, le: [UInt8]) throws {
        let command = try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: ne, extended: true)
        try roundTrip(command, [0x00, 0xB0, 0x00, 0x00, 0x00] + le, .twoExtended)
    }

    @Test func extendedChosenWhenNeExceeds256() throws {
        let command = try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 257)
        #expect(command.apduCase == .twoExtended)
        #expect(command.bytes == [0x00, 0xB0, 0x00, 0x00, 0x00, 0x01, 0x01])
    }

    @Test(arguments: [1, 255])
    func case3Short(lc: Int) throws {
        let data = (0..<lc).map { UInt8(truncatingIfNeeded: $0) }
        try roundTrip(try CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: data), [0x00, 0xD6, 0x00, 0x00, UInt8(lc)] + data, .threeShort)
    }

    @Test(arguments: [256, 65535, 1])
    func case3Extended(lc: Int) throws {
        let data = (0..<lc).map { UInt8(truncatingIfNeeded: $0 * 3) }
        let command = try CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: data, extended: true)
        try roundTrip(command, [0x00, 0xD6, 0x00, 0x00, 0x00, UInt8(lc >> 8), UInt8(lc & 0xFF)] + data, .threeExtended)
    }

    @Test(arguments: [(1, 1, UInt8(1)), (255, 256, 0x00), (1, 256, 0x00), (255, 1, 0x01)])
    func case4Short(lc: Int, ne: Int, le: UInt8) throws {
        let data = [UInt8](repeating: 0xA5, count: lc)
        let command = try CommandAPDU(cla: 0x80, ins: 0x88, p1: 1, p2: 2, data: data, ne: ne)
        try roundTrip(command, [0x80, 0x88, 0x01, 0x02, UInt8(lc)] + data + [le], .fourShort)
    }

    @Test(arguments: [(256, 1), (1, 257), (65535, 65536), (256, 256)])
    func case4Extended(lc: Int, ne: Int) throws {
        let data = [UInt8](repeating: 0x5A, count: lc)
        let command = try CommandAPDU(ins: 0x2A, p1: 0x9E, p2: 0x9A, data: data, ne: ne)
        let le = ne == 65536 ? 0 : ne
        let expected = [0x00, 0x2A, 0x9E, 0x9A, 0x00, UInt8(lc >> 8), UInt8(lc & 0xFF)] + data + [UInt8(le >> 8), UInt8(le & 0xFF)]
        try roundTrip(command, expected, .fourExtended)
    }

    @Test func invalidLengthsAreRejected() {
        #expect(throws: ISO7816Error.self) { try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 0) }
        #expect(throws: ISO7816Error.self) { try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 65537) }
        #expect(throws: ISO7816Error.self) { try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: -1) }
        #expect(throws: ISO7816Error.self) { try CommandAPDU(ins: 0xD6, p1: 0, p2: 0, data: [UInt8](repeating: 0, count: 65536)) }
    }

    @Test(arguments: [
        [UInt8](),
        [0x00],
        [0x00, 0xA4, 0x00],
        [0x00, 0xA4, 0x04, 0x00, 0x00, 0x00],  // short Lc of 0 with one more byte
        [0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F],  // Lc 2 but 1 data byte
        [0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00, 0x00, 0x00],  // 2 bytes too many for case 4
        [0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x00, 0x3F],  // extended Lc of 0
        [0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x03, 0x3F, 0x00],  // extended Lc 3, 2 data bytes
        [0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x01, 0x3F, 0x00, 0x00, 0x00],  // extended case 4 with an extra byte
    ])
    func malformedBytesAreRejected(bytes: [UInt8]) {
        #expect(throws: ISO7816Error.self) { try CommandAPDU(bytes: bytes) }
    }

    @Test func parsesFromASliceWithAnOffset() throws {
        let buffer: [UInt8] = [0xEE, 0xEE, 0x00, 0xB0, 0x00, 0x00, 0x10, 0xEE]
        let command = try CommandAPDU(bytes: buffer[2..<7])
        #expect(command.ins == 0xB0)
        #expect(command.ne == 16)
    }

    @Test func helpersBuildTheUsualCommands() throws {
        #expect(try CommandAPDU.selectFile(0x3F00).bytes == [0x00, 0xA4, 0x00, 0x00, 0x02, 0x3F, 0x00])
        #expect(try CommandAPDU.readBinary(offset: 0x0200, ne: 256).bytes == [0x00, 0xB0, 0x02, 0x00, 0x00])
        #expect(try CommandAPDU.readBinary(sfi: 2, ne: 0x20).bytes == [0x00, 0xB0, 0x82, 0x00, 0x20])
        #expect(try CommandAPDU.getResponse(cla: 0x01, ne: 0x10).bytes == [0x01, 0xC0, 0x00, 0x00, 0x10])
        #expect(throws: ISO7816Error.self) { try CommandAPDU.readBinary(offset: 0x8000, ne: 1) }
        #expect(throws: ISO7816Error.self) { try CommandAPDU.readBinary(sfi: 31, ne: 1) }
    }

    @Test func descriptionNeverShowsTheData() throws {
        let command = try CommandAPDU(ins: 0x20, p1: 0, p2: 0x80, data: Array("1234".utf8))
        #expect(command.description == "00 20 00 80 case 3S Lc=4")
    }

    @Test func withNeKeepsHeaderAndData() throws {
        let command = try CommandAPDU(cla: 0x80, ins: 0xCA, p1: 0x9F, p2: 0x7F, ne: 256)
        let resent = try command.withNe(0x2D)
        #expect(resent.bytes == [0x80, 0xCA, 0x9F, 0x7F, 0x2D])
    }
}

@Suite("Response APDU and status words")
struct ResponseAPDUTests {
    @Test func parsesDataAndStatus() throws {
        let response = try ResponseAPDU(bytes: [0x01, 0x02, 0x90, 0x00])
        #expect(response.data == [0x01, 0x02])
        #expect(response.statusWord == .success)
        #expect(response.bytes == [0x01, 0x02, 0x90, 0x00])
        #expect(try response.requireSuccess() == [0x01, 0x02])
    }

    @Test(arguments: [[UInt8](), [0x90]])
    func tooShortIsAnError(bytes: [UInt8]) {
        #expect(throws: ISO7816Error.responseTooShort(length: bytes.count)) { try ResponseAPDU(bytes: bytes) }
    }

    @Test func requireSuccessNamesTheStatus() throws {
        let response = try ResponseAPDU(bytes: [0x6A, 0x82])
        #expect(throws: ISO7816Error.unexpectedStatus(.fileNotFound, command: "SELECT")) { try response.requireSuccess("SELECT") }
        let error = ISO7816Error.unexpectedStatus(.fileNotFound, command: "SELECT")
        #expect(error.description == "SELECT: card answered 6A82 (file or application not found)")
    }

    @Test func statusWordMeanings() {
        #expect(StatusWord(0x90, 0x00) == .success)
        #expect(StatusWord.success.sw1 == 0x90 && StatusWord.success.sw2 == 0x00)
        #expect(StatusWord(rawValue: 0x6982).meaning == "security status not satisfied")
        #expect(StatusWord.bytesAvailable(0x10).meaning == "16 bytes still available (GET RESPONSE)")
        #expect(StatusWord.bytesAvailable(0x00).meaning == "256 bytes still available (GET RESPONSE)")
        #expect(StatusWord.wrongLe(0x2D).meaning == "wrong Le field; exact length is 45")
        #expect(StatusWord.verificationFailed(triesLeft: 2) == StatusWord(0x63, 0xC2))
        #expect(StatusWord(0x63, 0xC2).triesLeft == 2)
        #expect(StatusWord(0x63, 0x00).triesLeft == nil)
        #expect(StatusWord.verificationFailed(triesLeft: 99).triesLeft == 15)
        #expect(StatusWord(0x6A, 0x82).description == "6A82")
        #expect(StatusWord(0x01, 0x02).description == "0102")
        #expect(StatusWord(0x61, 0x05).isSuccess)
        #expect(!StatusWord.fileNotFound.isSuccess)
        for sw: UInt16 in [0x6281, 0x6282, 0x6581, 0x6700, 0x6983, 0x6984, 0x6985, 0x6986, 0x6A80, 0x6A81, 0x6A83,
                           0x6A86, 0x6A88, 0x6B00, 0x6D00, 0x6E00, 0x6F00] {
            #expect(!StatusWord(rawValue: sw).meaning.isEmpty && StatusWord(rawValue: sw).meaning != "unknown status")
        }
        #expect(StatusWord(rawValue: 0x1234).meaning == "unknown status")
    }

    @Test func hexRoundTrip() {
        #expect(Hex.encode([0x3B, 0x75, 0x0A]) == "3B750A")
        #expect(Hex.encode([0x3B, 0x75], separator: " ") == "3B 75")
        #expect(Hex.decode("3b 75:0A\n") == [0x3B, 0x75, 0x0A])
        #expect(Hex.decode("3B7") == nil)
        #expect(Hex.decode("3G") == nil)
    }
}
