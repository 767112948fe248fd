import CPS
import Dispatch
import Foundation
import ISO7816
import Synchronization

/// The fuzz target for the CPS (practitioner card) decoder and session, fed arbitrary card bytes.
///
/// Input: a selector byte. Bit 0 clear (files): two big-endian 16-bit lengths, then the holder file, the
/// situations file and the rest as the certificate file, decoded with `PractitionerCard.decode`. Bit 0 set
/// (session): four PIN bytes, then the card's responses, each a big-endian 16-bit length (mod 1024) and its
/// bytes, answered in turn to a `CPSSession` doing read, PIN state, VERIFY and a signature; once they run out
/// the card is "removed". Nothing traps; what decodes is consistent (situations present, the certificate's key
/// usable, JSON encodes), a signature is 64 bytes. (The session runs without its APDU deadline: the watchdog's
/// tasks end after the input's run, which would make libFuzzer scan for leaks after every input.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCPS(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let selector = bytes.first else { return 0 }
    if selector & 1 == 0 {
        fuzzFiles(bytes[1...])
    } else {
        worker.run(bytes[1...])
    }
    return 0
}

// LeakSanitizer's interface (the targets are always built with -sanitize=fuzzer,address).
@_silgen_name("__lsan_disable") func lsanDisable()
@_silgen_name("__lsan_enable") func lsanEnable()

/// One task for the whole run that runs the sessions, one input at a time, while libFuzzer's thread waits: a
/// task per input would be freed after the input's run, and libFuzzer, seeing more mallocs than frees in the
/// run, would scan for leaks after every input (50 ms each).
final class SessionWorker: Sendable {
    private let mailbox = Mutex<UnsafeContinuation<ArraySlice<UInt8>, Never>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init() {
        lsanDisable()
        defer { lsanEnable() }
        Task.detached { [self] in
            while true {
                // Parks, then says it is ready: the park's allocations belong to the input that just ended.
                let input = await withUnsafeContinuation { c in
                    mailbox.withLock { $0 = c }
                    done.signal()
                }
                await fuzzSession(input)
            }
        }
        done.wait()
    }

    func run(_ input: ArraySlice<UInt8>) {
        let parked = mailbox.withLock { m in
            defer { m = nil }
            return m
        }
        guard let parked else { fatalError("the session worker is not parked") }
        parked.resume(returning: input)
        done.wait()
    }
}

let worker = SessionWorker()

let atr: [UInt8] = [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00]

func fuzzFiles(_ input: ArraySlice<UInt8>) {
    guard input.count >= 4 else { return }
    let s = input.startIndex
    let first = Int(input[s]) << 8 | Int(input[s + 1])
    let second = Int(input[s + 2]) << 8 | Int(input[s + 3])
    var rest = input.dropFirst(4)
    let holder = Array(rest.prefix(first))
    rest = rest.dropFirst(holder.count)
    let situations = Array(rest.prefix(second))
    rest = rest.dropFirst(situations.count)
    guard let card = try? PractitionerCard.decode(atr: atr, holder: holder, situations: situations, certificate: Array(rest)) else { return }
    check(card)
}

func check(_ card: PractitionerCard) {
    guard !card.situations.isEmpty else { fatalError("a decoded CPS without situations") }
    guard (try? card.certificate.signingPublicKey()) != nil else { fatalError("a decoded certificate whose key does not load") }
    guard (try? JSONEncoder().encode(card)) != nil else { fatalError("a decoded CPS does not encode") }
}

/// A card that answers each command with the next response of the input, then is removed.
final class ScriptedCard: CardChannel, Sendable {
    struct Removed: CardTransportError { var transportFailure: CardTransportFailure { .cardRemoved } }
    private let responses: Mutex<[[UInt8]]>

    init(_ responses: [[UInt8]]) { self.responses = Mutex(Array(responses.reversed())) }

    func transmit(_ command: [UInt8]) async throws -> [UInt8] {
        guard let next = responses.withLock({ $0.popLast() }) else { throw Removed() }
        return next
    }
}

func fuzzSession(_ input: ArraySlice<UInt8>) async {
    guard input.count >= 4 else { return }
    let pin = String(decoding: input.prefix(4), as: UTF8.self)
    var rest = input.dropFirst(4)
    var responses: [[UInt8]] = []
    while rest.count >= 2 {
        let length = (Int(rest[rest.startIndex]) << 8 | Int(rest[rest.startIndex + 1])) % 1024
        rest = rest.dropFirst(2)
        responses.append(Array(rest.prefix(length)))
        rest = rest.dropFirst(length)
    }
    guard let session = try? CPSSession(channel: ScriptedCard(responses), atr: atr, apduTimeout: nil) else {
        fatalError("the CPS ATR is refused")
    }
    if let card = try? await session.read() { check(card) }
    _ = try? await session.pinStatus()
    _ = try? await session.verifyPIN(pin)
    if let signature = try? await session.sign(digest: [UInt8](repeating: 0x5A, count: 32)), signature.count != 64 {
        fatalError("a signature of \(signature.count) bytes")
    }
}
