import Foundation
import Testing
@testable import ISO7816

/// A channel whose answers take `delay(index)` each: `9000` with one data byte, the command's index.
struct SlowChannel: CardChannel {
    let counter = ScriptedChannel { _, index in [UInt8(index), 0x90, 0x00] }
    let delay: @Sendable (Int) -> Duration

    func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        let index = counter.sent.count
        try await Task.sleep(for: delay(index))
        return try await counter.transmit(command)
    }
}

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

@Suite("Card conversations and their exchange deadline")
struct ConversationTests {
    @Test func conversationRunsToItsResultWithTheT0Loops() async throws {
        // The second command is answered 6C 01 first: the T=0 resend happens inside the conversation.
        let channel = ScriptedChannel { command, index in
            switch index {
            case 1: return [0x6C, 0x01]
            default: return [UInt8(index), 0x90, 0x00]
            }
        }
        let result = try await channel.converse(CountingConversation(count: 3), exchangeTimeout: .seconds(5))
        #expect(result == [0, 2, 3])
        #expect(channel.sent.count == 4)
        #expect(channel.sent[2].last == 0x01)
    }

    @Test func theDeadlineCountsPerExchangeNotForTheWholeConversation() async throws {
        // Six exchanges of 60 ms: 360 ms in all, each well within the 250 ms per-exchange deadline.
        let channel = SlowChannel { _ in .milliseconds(60) }
        let result = try await channel.converse(CountingConversation(count: 6), exchangeTimeout: .milliseconds(250))
        #expect(result.count == 6)
    }

    @Test func aMuteExchangeTimesOutNamingItsStep() async throws {
        let channel = SlowChannel { index in index == 2 ? .seconds(30) : .milliseconds(1) }
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await channel.converse(CountingConversation(count: 4), exchangeTimeout: .milliseconds(200))
            Issue.record("the conversation finished")
        } catch let error as CardConversationError {
            #expect(error.step == "step 2")
            #expect(error.transportFailure == .cardMute)
            #expect("\(error)".contains("no answer from the card"))
        }
        #expect(clock.now - start < .seconds(5))
    }

    @Test func transportErrorsNameTheStep() async throws {
        let channel = ScriptedChannel { _, index in index == 1 ? [0x90] : [0x90, 0x00] }
        do {
            _ = try await channel.converse(CountingConversation(count: 3), exchangeTimeout: nil)
            Issue.record("the conversation finished")
        } catch let error as CardConversationError {
            #expect(error.step == "step 0" || error.step == "step 1")
            #expect(error.transportFailure == .cardRemoved)
        }
    }

    @Test func errorsOfTheConversationItselfReachTheCallerUnchanged() async throws {
        struct Refused: Error {}
        struct Refusing: CardConversation {
            mutating func next(after response: ResponseAPDU?) throws -> ConversationStep<Int> {
                if response != nil { throw Refused() }
                return .send(try CommandAPDU(ins: 0xB0, p1: 0, p2: 0, ne: 1), step: "read")
            }
        }
        let channel = ScriptedChannel { _, _ in [0x90, 0x00] }
        await #expect(throws: Refused.self) { try await channel.converse(Refusing(), exchangeTimeout: .seconds(1)) }
    }
}
