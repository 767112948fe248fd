import Foundation
import Testing
import TestSupport

/// `vitale` given a foreign card (issue 13, defect 6): Debian's `vicc`, a generic ISO 7816 card, in a leased test
/// reader behind the real pcscd, with its own ATR and behind a relay presenting a carte Vitale 2 or a CPS ATR.
@Suite("vitale command with a foreign card (vicc) behind pcscd")
struct ForeignCardTests {
    static let vitale2ATR: [UInt8] = [0x3B, 0x75, 0x13, 0x00, 0x00, 0x44, 0x09, 0xEA, 0x90, 0x00]
    static let cps3ATR: [UInt8] = [0x3B, 0xAC, 0x00, 0x40, 0x2A, 0x00, 0x12, 0x25, 0x00, 0x64, 0x80, 0x00, 0x03, 0x10, 0x00, 0x90, 0x00]

    @Test("vicc with its own ATR: not a carte Vitale (exit 6) for read, not a CPS (exit 6) for cps, unknown for readers")
    func viccIsNeitherACarteVitaleNorACPS() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let card = try await ViccCard(in: lease, slot: 0)
        let atr = card.atr.map { String(format: "%02X", $0) }.joined(separator: " ")
        #expect(!atr.isEmpty)

        let readers = try await VitaleCLI.run(["readers"])
        #expect(readers.status == 0, "\(readers.stderr)")
        #expect(readers.stdout.split(separator: "\n").contains { $0.hasPrefix(card.reader) && $0.contains("unknown card") && $0.contains(atr) },
                "\(readers.stdout)")

        for arguments in [["read"], ["read", "--json"], ["read", "--extended"]] {
            let read = try await VitaleCLI.run(arguments + ["--reader", card.reader])
            #expect(read.status == 6, "vitale \(arguments): \(read.status) \(read.stderr)")
            #expect(read.stderr == "vitale: not a carte Vitale (ATR \(atr))\n")
            #expect(read.stdout.isEmpty)
        }
        let cps = try await VitaleCLI.run(["cps", "--reader", card.reader])
        #expect(cps.status == 6, "\(cps.status) \(cps.stderr)")
        #expect(cps.stderr == "vitale: not a CPS (ATR \(atr))\n")
        #expect(cps.stdout.isEmpty)
        let pin = try await VitaleCLI.run(["cps", "--reader", card.reader, "--pin-stdin"], stdin: "1234\n")
        #expect(pin.status == 6, "\(pin.status) \(pin.stderr)")
        #expect(!pin.stderr.contains("1234"))
        try await card.stop()
    }

    @Test("vicc presented with a carte Vitale 2 ATR: not a carte Vitale (exit 6), from its answers to SELECT")
    func viccWithAVitaleATRIsNotACarteVitale() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let card = try await ViccCard(in: lease, slot: 0, presenting: Self.vitale2ATR)
        #expect(card.atr == Self.vitale2ATR)
        for arguments in [["read"], ["read", "--extended"]] {
            let read = try await VitaleCLI.run(arguments + ["--reader", card.reader])
            #expect(read.status == 6, "vitale \(arguments): \(read.status) \(read.stderr)")
            #expect(read.stderr.hasPrefix("vitale: not a carte Vitale (ATR 3B 75 13 00 00 44 09 EA 90 00): "), "\(read.stderr)")
            #expect(read.stderr.contains("no VITALE application (SELECT VITALE application answered 6A82"), "\(read.stderr)")
            #expect(read.stdout.isEmpty)
        }
        let cps = try await VitaleCLI.run(["cps", "--reader", card.reader])
        #expect(cps.status == 6, "\(cps.status) \(cps.stderr)")
        #expect(cps.stderr == "vitale: not a CPS (ATR 3B 75 13 00 00 44 09 EA 90 00)\n")
        try await card.stop()
    }

    @Test("vicc presented with a CPS ATR: not a CPS (exit 6), from its answer to SELECT, and no PIN sent")
    func viccWithACPSATRIsNotACPS() async throws {
        let lease = try await TestReaders.lease()
        defer { lease.release() }
        let card = try await ViccCard(in: lease, slot: 1, presenting: Self.cps3ATR)
        #expect(card.atr == Self.cps3ATR)
        let expected = "vitale: not a CPS (ATR 3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00): "
            + "no CPS application (SELECT CPS application answered 6A82, file or application not found)\n"
        let cps = try await VitaleCLI.run(["cps", "--reader", card.reader])
        #expect(cps.status == 6, "\(cps.status) \(cps.stderr)")
        #expect(cps.stderr == expected)
        #expect(cps.stdout.isEmpty)
        let pin = try await VitaleCLI.run(["cps", "--reader", card.reader, "--pin-stdin"], stdin: "1234\n")
        #expect(pin.status == 6, "\(pin.status) \(pin.stderr)")
        #expect(pin.stderr == expected)
        // Each command sent the SELECT of the CPS application only: no PIN reached the foreign card.
        #expect(card.relayedInstructions == [0xA4, 0xA4], "\(card.relayedInstructions ?? [])")
        let read = try await VitaleCLI.run(["read", "--reader", card.reader])
        #expect(read.status == 6, "\(read.status) \(read.stderr)")
        #expect(read.stderr == "vitale: not a carte Vitale (ATR 3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00)\n")
        try await card.stop()
    }
}
