import Synchronization
import Testing
import TestSupport
@testable import ISO7816

/// A decoder's error type, as the Vitale reader and the CPS session declare theirs.
enum ExchangeTestError: CardExchangeError, Hashable {
    case cardRemoved(step: String)
    case cardMute(step: String, timeout: Duration? = nil)
    case readerUnavailable(step: String, detail: String)
    case serviceUnavailable(step: String, detail: String)
    case transport(step: String, detail: String)
    case cardReset(step: String)
    case decoder(String)
}

/// A card that answers `9000` after `latency` (simulated card latency), and from the `hangFrom`-th command on
/// never answers, ignoring cancellation as a blocking PC/SC call does, until ``release()``.
final class SlowCard: CardChannel, Sendable {
    struct Pulled: CardTransportError { var transportFailure: CardTransportFailure { .cardRemoved } }
    let latency: Duration
    let hangFrom: Int
    private let counter = Mutex(0)
    private let held = HeldExchanges()

    init(latency: Duration = .zero, hangFrom: Int = .max) {
        self.latency = latency
        self.hangFrom = hangFrom
    }

    var count: Int { counter.withLock { $0 } }

    func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        let n = counter.withLock { n in n += 1; return n }
        if n >= hangFrom {
            await held.hold()
            throw Pulled()
        }
        if latency > .zero { try? await Task.sleep(for: latency) }
        return [0x90, 0x00]
    }

    /// Lets the held commands end (the card is pulled out).
    func release() { held.release() }
}

@Suite("Per-exchange deadline")
struct APDUDeadlineTests {
    let select = try! CommandAPDU(ins: 0xA4, p1: 0x04, p2: 0x0C, data: [0xD2, 0x50])

    @Test func muteCardEndsTheCallWithinTheDeadlineNamingTheExchange() async throws {
        let card = SlowCard(hangFrom: 2)
        defer { card.release() }
        let command = select
        let start = ContinuousClock.now
        await #expect(throws: ExchangeTestError.cardMute(step: "READ BINARY file 2", timeout: .milliseconds(200))) {
            try await withAPDUDeadline(.milliseconds(200), on: card, as: ExchangeTestError.self) { c throws(ExchangeTestError) in
                _ = try await c.send(command, step: "SELECT file 1")
                _ = try await c.send(command, step: "READ BINARY file 2")
                Issue.record("the mute exchange returned")
            }
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(card.count == 2)
    }

    @Test func theDeadlineIsPerExchangeNotPerCall() async throws {
        // Five exchanges of 120 ms: 600 ms in all, each well within a 400 ms deadline.
        let card = SlowCard(latency: .milliseconds(120))
        let command = select
        let answered = try await withAPDUDeadline(.milliseconds(400), on: card, as: ExchangeTestError.self) { c throws(ExchangeTestError) in
            var n = 0
            for i in 1...5 where try await c.send(command, step: "exchange \(i)").statusWord == .success { n += 1 }
            return n
        }
        #expect(answered == 5)
    }

    /// pcscd gone and a reader gone are two typed cases, so programs never look into the message text.
    @Test func serviceAndReaderFailuresStayApart() {
        struct Failure: CardTransportError, CustomStringConvertible {
            var transportFailure: CardTransportFailure
            var description: String { "transport says \(transportFailure)" }
        }
        let service: ExchangeTestError = mapExchangeError(Failure(transportFailure: .serviceUnavailable), step: "READ")
        #expect(service == .serviceUnavailable(step: "READ", detail: "transport says serviceUnavailable"))
        let reader: ExchangeTestError = mapExchangeError(Failure(transportFailure: .readerUnavailable), step: "READ")
        #expect(reader == .readerUnavailable(step: "READ", detail: "transport says readerUnavailable"))
        let reset: ExchangeTestError = mapExchangeError(Failure(transportFailure: .cardReset), step: "READ")
        #expect(reset == .cardReset(step: "READ"))
    }

    @Test func errorsOfTheBodyAndOfTheTransportKeepTheirMeaning() async throws {
        let command = select
        await #expect(throws: ExchangeTestError.decoder("bad file")) {
            try await withAPDUDeadline(.seconds(5), on: SlowCard(), as: ExchangeTestError.self) { c throws(ExchangeTestError) in
                _ = try await c.send(command, step: "SELECT")
                throw .decoder("bad file")
            }
        }
        let pulled = SlowCard(hangFrom: 1)
        pulled.release()
        for timeout in [Duration.seconds(5), nil] {
            await #expect(throws: ExchangeTestError.cardRemoved(step: "SELECT")) {
                try await withAPDUDeadline(timeout, on: pulled, as: ExchangeTestError.self) { c throws(ExchangeTestError) in
                    _ = try await c.send(command, step: "SELECT")
                }
            }
        }
    }

    @Test func timeoutsPrintShort() {
        #expect(APDUTimeout.describe(.seconds(5)) == "5 s")
        #expect(APDUTimeout.describe(.milliseconds(500)) == "500 ms")
        #expect("\(APDUTimeout(step: "VERIFY (PIN)", timeout: .milliseconds(1500)))" == "no answer to VERIFY (PIN) within 1500 ms")
    }
}
