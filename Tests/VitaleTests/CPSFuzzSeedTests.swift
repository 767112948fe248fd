import CPS
import Emulator
import Foundation
import ISO7816
import Synchronization
import Testing
import TestSupport

/// The seeds of the CPS fuzz target (Fuzz/Seeds/FuzzCPS, input format in Fuzz/Sources/FuzzCPS) must stay
/// valid inputs, so that fuzzing starts past the first checks: the files of each CPS fixture, and the responses
/// of one card to a whole session. `OPENVITALE_WRITE_FUZZ_SEEDS=1 swift test --filter CPSFuzzSeed` writes
/// them again.
@Suite("CPS fuzz seeds")
struct CPSFuzzSeedTests {
    var directory: URL { RepositoryPaths.root.appendingPathComponent("Fuzz/Seeds/FuzzCPS") }
    static let sessionFixture = "cps-gp-secteur1.json"

    @Test func seedsAreWholeCards() async throws {
        if ProcessInfo.processInfo.environment["OPENVITALE_WRITE_FUZZ_SEEDS"] == "1" { try await write() }
        for name in Fixtures.cpsNames {
            let image = try Fixtures.image(name)
            let seed = Array(try Data(contentsOf: directory.appendingPathComponent("files-" + name.replacingOccurrences(of: ".json", with: ""))))
            let card = try Self.decodeFilesSeed(seed)
            try expectMatches(card, image)
        }
        let session = Array(try Data(contentsOf: directory.appendingPathComponent("session")))
        let card = try await CPSSession(channel: ReplayChannel(responses: Self.responses(ofSessionSeed: session)), atr: EmulatedCard(
            image: try Fixtures.image(Self.sessionFixture)).atr).read()
        try expectMatches(card, try Fixtures.image(Self.sessionFixture))
    }

    /// Files mode: selector 00, two 16-bit lengths, holder, situations, certificate.
    static func decodeFilesSeed(_ seed: [UInt8]) throws -> PractitionerCard {
        let first = Int(seed[1]) << 8 | Int(seed[2]), second = Int(seed[3]) << 8 | Int(seed[4])
        let holder = Array(seed[5..<5 + first]), situations = Array(seed[(5 + first)..<(5 + first + second)])
        return try PractitionerCard.decode(atr: [], holder: holder, situations: situations, certificate: Array(seed[(5 + first + second)...]))
    }

    /// Session mode: selector 01, 4 PIN bytes, then 16-bit length-prefixed responses.
    static func responses(ofSessionSeed seed: [UInt8]) -> [[UInt8]] {
        var rest = seed.dropFirst(5), out: [[UInt8]] = []
        while rest.count >= 2 {
            let n = Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])
            out.append(Array(rest.dropFirst(2).prefix(n)))
            rest = rest.dropFirst(2 + n)
        }
        return out
    }

    private func write() async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func u16(_ n: Int) -> [UInt8] { [UInt8(n >> 8), UInt8(n & 0xFF)] }
        for name in Fixtures.cpsNames {
            let image = try Fixtures.image(name)
            let recorder = Recorder(EmulatedCard(image: image))
            _ = try await CPSSession(channel: recorder, atr: image.atr).read()
            // SELECT, then one READ BINARY per file: the files as the card gave them.
            let files = recorder.responses.dropFirst().map { Array($0.dropLast(2)) }
            let seed = [0x00] + u16(files[0].count) + u16(files[1].count) + files[0] + files[1] + files[2]
            try Data(seed).write(to: directory.appendingPathComponent("files-" + name.replacingOccurrences(of: ".json", with: "")))
        }
        let image = try Fixtures.image(Self.sessionFixture)
        let recorder = Recorder(EmulatedCard(image: image))
        let session = try CPSSession(channel: recorder, atr: image.atr)
        _ = try await session.read()
        _ = try await session.pinStatus()
        try await session.verifyPIN(image.cps!.pin)
        _ = try await session.sign(digest: [UInt8](repeating: 0x5A, count: 32))
        let seed = [0x01] + Array(image.cps!.pin.utf8) + recorder.responses.flatMap { u16($0.count) + $0 }
        try Data(seed).write(to: directory.appendingPathComponent("session"))
    }
}

/// Records the raw responses of a card.
final class Recorder<Base: CardChannel>: CardChannel, Sendable {
    let base: Base
    private let log = Mutex<[[UInt8]]>([])
    init(_ base: Base) { self.base = base }
    var responses: [[UInt8]] { log.withLock { $0 } }

    func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        let r = try await base.transmit(command)
        log.withLock { $0.append(r) }
        return r
    }
}

/// Answers recorded responses in turn.
final class ReplayChannel: CardChannel, Sendable {
    private let queue: Mutex<[[UInt8]]>
    init(responses: [[UInt8]]) { queue = Mutex(Array(responses.reversed())) }

    func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        guard let r = queue.withLock({ $0.popLast() }) else { throw EmulatedCard.TransmitError.unpowered }
        return r
    }
}
