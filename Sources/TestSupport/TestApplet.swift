import Foundation

/// A small, deterministic card program for the PC/SC integration tests, behaving like a T=0 card:
///
/// - `00 B0 00 00 Le` (READ BINARY of ``file``): `6C XX` unless Le is exactly the file's length, then the file
///   and `9000`;
/// - `00 CA 00 00 00` (GET DATA of ``longData``): `61 XX` announcing the first ``chunkSize`` bytes, then each
///   `00 C0 00 00 XX` (GET RESPONSE) returns the next chunk with `61 XX` while more is waiting, and `9000` at
///   the end; a GET RESPONSE whose Le differs from XX gets `6700`, one without pending data `6985`;
/// - `80 E0 00 00 Lc data [Le]` (ECHO, case 3 or 4): `61 Lc`, then GET RESPONSE returns the data (T=0 cannot carry case 4);
/// - anything else: `6D00`.
///
/// Pending GET RESPONSE data is forgotten on power off or reset.
public final class TestApplet: VirtualCardResponder, @unchecked Sendable {
    // `@unchecked Sendable`: `pending` is guarded by `lock`, held across the whole APDU because `answer(_:)` reads
    // and rewrites it in several branches; a test double, kept as is rather than threading an inout state through.
    public let file: [UInt8]
    public let longData: [UInt8]
    public let chunkSize: Int
    private let lock = NSLock()
    private var pending: [UInt8] = []

    public init(file: [UInt8] = Array(0..<23), longData: [UInt8] = (0..<600).map { UInt8(truncatingIfNeeded: $0 &* 7) }, chunkSize: Int = 0x80) {
        precondition((1...256).contains(chunkSize))
        self.file = file
        self.longData = longData
        self.chunkSize = chunkSize
    }

    public func reset() {
        lock.withLock { pending = [] }
    }

    public func respond(to command: [UInt8]) -> VirtualTestCard.Reply {
        lock.withLock { .response(answer(command)) }
    }

    private func answer(_ apdu: [UInt8]) -> [UInt8] {
        guard apdu.count >= 4 else { return [0x67, 0x00] }
        let (cla, ins) = (apdu[0], apdu[1])
        switch (cla & 0xFC, ins) {
        case (0x00, 0xB0):
            guard apdu.count == 5 else { return [0x67, 0x00] }
            let le = apdu[4] == 0 ? 256 : Int(apdu[4])
            guard le == file.count else { return [0x6C, UInt8(truncatingIfNeeded: file.count)] }
            return file + [0x90, 0x00]
        case (0x00, 0xCA):
            pending = longData
            return announce()
        case (0x80, 0xE0):
            // Case 3, or case 4 as a T=0 reader would pass it on (the Le byte is not part of the data).
            guard apdu.count >= 6, apdu[4] != 0, apdu.count - 5 == Int(apdu[4]) || apdu.count - 6 == Int(apdu[4]) else {
                return [0x67, 0x00]
            }
            pending = Array(apdu[5..<(5 + Int(apdu[4]))])
            return announce()
        case (_, 0xC0):
            guard !pending.isEmpty else { return [0x69, 0x85] }
            guard apdu.count == 5 else { return [0x67, 0x00] }
            let le = apdu[4] == 0 ? 256 : Int(apdu[4])
            let next = min(pending.count, chunkSize)
            guard le == next else { return [0x67, 0x00] }
            let chunk = Array(pending.prefix(next))
            pending.removeFirst(next)
            return chunk + (pending.isEmpty ? [0x90, 0x00] : announce())
        default:
            return [0x6D, 0x00]
        }
    }

    private func announce() -> [UInt8] {
        let next = min(pending.count, chunkSize)
        return [0x61, UInt8(truncatingIfNeeded: next)]  // 00 means 256
    }
}
