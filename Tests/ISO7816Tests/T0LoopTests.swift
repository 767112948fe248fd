import Foundation
import Testing
@testable import ISO7816

/// An in-process card channel answering from a script, recording what it was sent.
final class ScriptedChannel: CardChannel, @unchecked Sendable {
    private let lock = NSLock()
    private var _sent: [[UInt8]] = []
    private let answer: @Sendable ([UInt8], Int) -> [UInt8]

    /// `answer(command, index)` gives the raw response to the index-th command.
    init(_ answer: @escaping @Sendable ([UInt8], Int) -> [UInt8]) { self.answer = answer }

    var sent: [[UInt8]] { lock.withLock { _sent } }

    func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        let index = lock.withLock {
            _sent.append(command)
            return _sent.count - 1
        }
        return answer(command, index)
    }
}

@Suite("T=0 loops in CardChannel.send")
struct T0LoopTests {
    let payload: [UInt8] = (0..<300).map { UInt8(truncatingIfNeeded: $0) }

    @Test func getResponseChainIsFollowed() async throws {
        let payload = self.payload
        let channel = ScriptedChannel { command, index in
            if index == 0 { return [0x61, 0x80] }
            #expect(command[1] == 0xC0)
            let start = (index - 1) * 0x80
            let chunk = Array(payload[start..<min(start + 0x80, payload.count)])
            #expect(Int(command[4]) == chunk.count)
            let left = payload.count - start - chunk.count
            return chunk + (left == 0 ? [0x90, 0x00] : [0x61, UInt8(min(left, 0x80))])
        }
        let response = try await channel.send(try CommandAPDU(ins: 0xCA, p1: 0, p2: 0, ne: 256))
        #expect(response.statusWord == .success)
        #expect(response.data == payload)
        #expect(channel.sent.count == 4)
        #expect(channel.sent[1] == [0x00, 0xC0, 0x00, 0x00, 0x80])
        #expect(channel.sent[3] == [0x00, 0xC0, 0x00, 0x00, 0x2C])
    }

    @Test func dataSentWith61IsKept() async throws {
        let channel = ScriptedChannel { _, index in index == 0 ? [0xAA, 0x61, 0x01] : [0xBB, 0x90, 0x00] }
        let response = try await channel.send(try CommandAPDU(ins: 0xCA, p1: 0, p2: 0, ne: 1))
        #expect(response.data == [0xAA, 0xBB])
    }

    @Test func getResponseKeepsTheLogicalChannel() async throws {
        let channel = ScriptedChannel { _, index in index == 0 ? [0x61, 0x02] : [0x01, 0x02, 0x90, 0x00] }
        _ = try await channel.send(try CommandAPDU(cla: 0x13, ins: 0xB0, p1: 0, p2: 0, ne: 2))
        #expect(channel.sent[1] == [0x03, 0xC0, 0x00, 0x00, 0x02])
        let proprietary = ScriptedChannel { _, index in index == 0 ? [0x61, 0x02] : [0x01, 0x02, 0x90, 0x00] }
        _ = try await proprietary.send(try CommandAPDU(cla: 0xBC, ins: 0xB0, p1: 0, p2: 0, ne: 2))
        #expect(proprietary.sent[1] == [0xBC, 0xC0, 0x00, 0x00, 0x02])
        let further = ScriptedChannel { _, index in index == 0 ? [0x61, 0x02] : [0x01, 0x02, 0x90, 0x00] }
        _ = try await further.send(try CommandAPDU(cla: 0x75, ins: 0xB0, p1: 0, p2: 0, ne: 2))
        #expect(further.sent[1] == [0x45, 0xC0, 0x00, 0x00, 0x02])
    }

    @Test func wrongLeIsResentWithTheExactLength() async throws {
        let file: [UInt8] = Array(0..<23)
        let channel = ScriptedChannel { command, _ in
            command[4] == 23 ? file + [0x90, 0x00] : [0x6C, 23]
        }
        let response = try await channel.send(try CommandAPDU.readBinary(offset: 0, ne: 256))
        #expect(response.data == file)
        #expect(channel.sent == [[0x00, 0xB0, 0x00, 0x00, 0x00], [0x00, 0xB0, 0x00, 0x00, 0x17]])
    }

    @Test func wrongLeOf00Means256() async throws {
        let channel = ScriptedChannel { command, _ in
            command[4] == 0 ? [UInt8](repeating: 7, count: 256) + [0x90, 0x00] : [0x6C, 0x00]
        }
        let response = try await channel.send(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 16))
        #expect(response.data.count == 256)
    }

    @Test func wrongLeThenGetResponse() async throws {
        let channel = ScriptedChannel { command, index in
            switch index {
            case 0: return [0x6C, 0x04]
            case 1:
                #expect(command == [0x00, 0xCA, 0x01, 0x02, 0x04])
                return [0x61, 0x04]
            default: return [1, 2, 3, 4, 0x90, 0x00]
            }
        }
        let response = try await channel.send(try CommandAPDU(ins: 0xCA, p1: 1, p2: 2, ne: 1))
        #expect(response.data == [1, 2, 3, 4])
    }

    @Test func loopsCanBeTurnedOff() async throws {
        let channel = ScriptedChannel { _, _ in [0x61, 0x10] }
        let response = try await channel.send(try CommandAPDU(ins: 0xCA, p1: 0, p2: 0, ne: 16), options: .raw)
        #expect(response.statusWord == .bytesAvailable(0x10))
        #expect(channel.sent.count == 1)

        let wrongLe = ScriptedChannel { _, _ in [0x6C, 0x10] }
        let onlyGetResponse = SendOptions(followGetResponse: true, resendOnWrongLe: false)
        let raw = try await wrongLe.send(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 1), options: onlyGetResponse)
        #expect(raw.statusWord == .wrongLe(0x10))
        #expect(wrongLe.sent.count == 1)
    }

    @Test func roundsAreCapped() async throws {
        let endless = ScriptedChannel { _, _ in [0x00, 0x61, 0x01] }
        await #expect(throws: ISO7816Error.tooManyT0Rounds(32)) {
            _ = try await endless.send(try CommandAPDU(ins: 0xCA, p1: 0, p2: 0, ne: 1))
        }
        #expect(endless.sent.count == 33)

        let flipping = ScriptedChannel { _, _ in [0x6C, 0x05] }
        await #expect(throws: ISO7816Error.tooManyT0Rounds(3)) {
            _ = try await flipping.send(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 1), options: SendOptions(maxRounds: 3))
        }
        #expect(flipping.sent.count == 4)
    }

    @Test func shortResponseIsAnError() async throws {
        let broken = ScriptedChannel { _, _ in [0x90] }
        await #expect(throws: ISO7816Error.responseTooShort(length: 1)) {
            _ = try await broken.send(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 1))
        }
    }

    @Test func sendExpectingSuccessThrowsOnErrorStatus() async throws {
        let channel = ScriptedChannel { _, _ in [0x6A, 0x82] }
        await #expect(throws: ISO7816Error.self) {
            _ = try await channel.sendExpectingSuccess(try CommandAPDU.selectFile(0x2F00))
        }
    }
}
