import Foundation
import Testing
@testable import ISO7816

/// Sends `count` SELECTs named "step N" and returns the data bytes received.
struct CountingConversation: CardConversation {
    let count: Int
    var received: [UInt8] = []

    mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<[UInt8]> {
        if let response { received += response.data }
        guard received.count < count else { return .finished(received) }
        return .send(try CommandAPDU(ins: 0xA4, p1: 0, p2: 0x0C, data: [0x3F, 0x00]), step: "step \(received.count)")
    }
}

@Suite("Card conversations")
struct ConversationTests {
    @Test func conversationRunsToItsResultWithTheT0Loops() async throws {
        // The second command is answered 6C 01 first: the T=0 resend happens inside the conversation.
        let channel = ScriptedChannel { command, index in
            switch index {
            case 1: return [0x6C, 0x01]
            default: return [UInt8(index), 0x90, 0x00]
            }
        }
        let result = try await channel.converse(CountingConversation(count: 3), watch: nil)
        #expect(result == [0, 2, 3])
        #expect(channel.sent.count == 4)
        #expect(channel.sent[2].last == 0x01)
    }

    @Test func blockingRunAppliesTheT0LoopsAndNamesTheFailingStep() throws {
        var sent: [[UInt8]] = []
        let result = try CountingConversation(count: 2).runBlocking(watch: nil) { command in
            sent.append(command)
            return sent.count == 1 ? [0x61, 0x01] : [0x07, 0x90, 0x00]  // GET RESPONSE collects the byte
        }
        #expect(result == [0x07, 0x07])
        #expect(sent.count == 3)
        #expect(sent[1][1] == 0xC0)
        #expect(throws: CardConversationError.self) {
            try CountingConversation(count: 1).runBlocking(watch: nil) { _ in [0x90] }
        }
    }

    @Test func eachExchangeOfAConversationHasItsOwnDeadline() async throws {
        // Six exchanges of 60 ms: 360 ms in all, each within the 250 ms per-exchange deadline.
        let card = SlowCard(latency: .milliseconds(60))
        let result = try await withAPDUDeadline(.milliseconds(250), on: card, as: ExchangeTestError.self) { channel throws(ExchangeTestError) in
            try await channel.converse(SelectCount(count: 6))
        }
        #expect(result == 6)
    }

    @Test func aMuteExchangeInAConversationTimesOutNamingItsStep() async throws {
        let card = SlowCard(hangFrom: 3)
        defer { card.release() }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: ExchangeTestError.cardMute(step: "select 2", timeout: .milliseconds(200))) {
            try await withAPDUDeadline(.milliseconds(200), on: card, as: ExchangeTestError.self) { channel throws(ExchangeTestError) in
                try await channel.converse(SelectCount(count: 5))
            }
        }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func transportErrorsNameTheStep() async throws {
        let channel = ScriptedChannel { _, index in index == 1 ? [0x90] : [0x90, 0x00] }
        await #expect(throws: ExchangeTestError.cardRemoved(step: "step 0")) {
            try await withAPDUDeadline(.seconds(5), on: channel, as: ExchangeTestError.self) { channel throws(ExchangeTestError) in
                try await channel.converse(CountingConversation(count: 3))
            }
        }
    }

    @Test func errorsOfTheConversationItselfReachTheCallerUnchanged() async throws {
        struct Refusing: CardConversation {
            mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<Int> {
                if response != nil { throw ExchangeTestError.decoder("refused") }
                return .send(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 1), step: "read")
            }
        }
        let channel = ScriptedChannel { _, _ in [0x90, 0x00] }
        await #expect(throws: ExchangeTestError.decoder("refused")) {
            try await withAPDUDeadline(.seconds(1), on: channel, as: ExchangeTestError.self) { channel throws(ExchangeTestError) in
                try await channel.converse(Refusing())
            }
        }
    }
}

/// `count` SELECTs named "select N"; returns how many were answered `9000`.
struct SelectCount: CardConversation {
    let count: Int
    var done = 0

    mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<Int> {
        if let response, response.statusWord == .success { done += 1 }
        guard done < count else { return .finished(done) }
        return .send(try CommandAPDU(ins: 0xA4, p1: 4, p2: 0x0C, data: [0xD2, 0x50]), step: "select \(done)")
    }
}
