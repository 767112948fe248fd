import ArgumentParser
import Foundation
import ISO7816
import PCSC
import Synchronization
import Vitale

/// `vitale bench` (hidden): times whole-card reads through PC/SC for scripts/bench-vitale-read, which runs it
/// side by side with a pyscard client replaying the same APDUs (docs/performance.md).
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time whole carte Vitale reads through pcscd (for scripts/bench-vitale-read).",
        shouldDisplay: false)

    @Option(help: "The reader.")
    var reader: String

    @Option(help: "Timed reads.")
    var iterations = 200

    @Option(help: "Untimed reads first.")
    var warmup = 20

    @Option(help: "The decoder's APDU timeout in milliseconds (0: none).")
    var apduTimeoutMs = 5000

    @Flag(help: "Send the read one APDU at a time (one thread hop each, inside a transaction) instead of as one conversation.")
    var perAPDU = false

    /// Forwards APDUs one at a time: the read as it was before conversations ran in one hop.
    struct OneAtATime: CardChannel {
        let base: PCSCCard
        func transmit(_ command: [UInt8]) async throws -> [UInt8] { try await base.transmit(command) }
    }

    /// Counts and records the APDUs of one read.
    final class Recorder<Base: CardChannel>: CardChannel, Sendable {
        let base: Base
        let sent = Mutex<[[UInt8]]>([])
        init(_ base: Base) { self.base = base }
        func transmit(_ command: [UInt8]) async throws -> [UInt8] {
            sent.withLock { $0.append(command) }
            return try await base.transmit(command)
        }
    }

    struct Report: Encodable {
        var client: String
        var iterations: Int
        var apdusPerRead: Int
        var apdus: [String]
        var meanMilliseconds: Double
        var medianMilliseconds: Double
        var p90Milliseconds: Double
        var minMilliseconds: Double
    }

    func run() async throws {
        try await exiting {
            let context = try await CardAccess.context()
            let name = try await CardAccess.chooseReader(context, requested: reader, preferred: .vitale2)
            let card: PCSCCard
            do { card = try await context.connect(to: name) } catch { throw CardAccess.failure(error, step: "connecting") }
            let atr = try await card.atr()
            let decoder = VitaleReader(options: .init(apduTimeout: apduTimeoutMs > 0 ? .milliseconds(apduTimeoutMs) : nil))
            let recorder = Recorder(card)
            _ = try await card.withTransaction { try await decoder.read(from: recorder, atr: atr) }
            let apdus = recorder.sent.withLock { $0 }
            let readOnce: () async throws -> Void = perAPDU
                ? { _ = try await card.withTransaction { try await decoder.read(from: OneAtATime(base: card), atr: atr) } }
                : { _ = try await decoder.read(from: card, atr: atr) }
            for _ in 0..<warmup { try await readOnce() }
            var times: [Double] = []
            times.reserveCapacity(iterations)
            let clock = ContinuousClock()
            for _ in 0..<iterations {
                let start = clock.now
                try await readOnce()
                let d = clock.now - start
                times.append(Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15)
            }
            try? await card.disconnect()
            times.sort()
            let report = Report(
                client: "OpenVitale (Swift: PCSC + Vitale decoder)" + (perAPDU ? ", one hop per APDU" : "") + (apduTimeoutMs > 0 ? "" : ", no APDU timeout"), iterations: iterations, apdusPerRead: apdus.count,
                apdus: apdus.map { Hex.encode($0) }, meanMilliseconds: times.reduce(0, +) / Double(times.count),
                medianMilliseconds: times[times.count / 2], p90Milliseconds: times[times.count * 9 / 10],
                minMilliseconds: times[0])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        }
    }
}
