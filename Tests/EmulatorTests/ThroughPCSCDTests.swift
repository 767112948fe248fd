import Emulator
import Foundation
import Testing
import TestSupport
import VPCD

/// Outside PC/SC clients (pcsc_scan, pyscard) see the emulated cards through the real pcscd and vpcd driver.
@Suite("Emulated cards through pcscd", .serialized)
struct ThroughPCSCDTests {
    static let pythonScript = RepositoryPaths.root.appendingPathComponent("scripts/pyscard-read-vitale.py").path

    /// The ATR pcsc_scan shows for each reader name, or nil for an empty reader.
    static func scan() async throws -> [String: String] {
        let result = try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/pcsc_scan"), ["-c", "-n"])
        var atrs: [String: String] = [:]
        var reader: String?
        for line in result.stdout.split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("Reader "), let colon = text.firstIndex(of: ":") {
                reader = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            } else if text.hasPrefix("ATR: "), let reader {
                atrs[reader] = String(text.dropFirst(5))
            }
        }
        return atrs
    }

    struct Bench {
        let lease: TestReaderLease
        let vitaleSlot: VirtualSlot
        let cpsSlot: VirtualSlot
        var slot0Name: String { "\(lease.friendlyName) 00 00" }
        var slot1Name: String { "\(lease.friendlyName) 00 01" }

        func stop() {
            vitaleSlot.stop()
            cpsSlot.stop()
            lease.release()
        }
    }

    static func bench(vitale: String, cps: String) async throws -> Bench {
        let lease = try await TestReaders.lease()
        // A card left by the reader's previous user must be gone (pcscd polls every 0.4 s) before ours goes in.
        let names = ["\(lease.friendlyName) 00 00", "\(lease.friendlyName) 00 01"]
        _ = try await eventually(timeout: .seconds(10)) { () -> Bool? in
            let atrs = try await scan()
            return names.allSatisfy { atrs[$0] == nil } ? true : nil
        }
        let vitaleSlot = VirtualSlot(mode: .connect(port: lease.slot0Port))
        let cpsSlot = VirtualSlot(mode: .connect(port: lease.slot1Port))
        try vitaleSlot.start()
        try cpsSlot.start()
        vitaleSlot.insert(try Fixtures.card(vitale))
        cpsSlot.insert(try Fixtures.card(cps))
        return Bench(lease: lease, vitaleSlot: vitaleSlot, cpsSlot: cpsSlot)
    }

    @Test("pcsc_scan sees the Vitale ATR in slot 0 and the CPS ATR in slot 1")
    func pcscScan() async throws {
        let bench = try await Self.bench(vitale: "family.json", cps: "cps-gp-secteur1.json")
        defer { bench.stop() }
        #expect(try await Self.waitForCard(bench.vitaleSlot, bench.slot0Name))
        #expect(try await Self.waitForCard(bench.cpsSlot, bench.slot1Name))
        let atrs = try await eventually(timeout: .seconds(20)) { () -> [String: String]? in
            let atrs = try await Self.scan()
            return atrs[bench.slot0Name] != nil && atrs[bench.slot1Name] != nil ? atrs : nil
        }
        #expect(atrs?[bench.slot0Name] == "3B 75 13 00 00 44 09 EA 90 00")
        #expect(atrs?[bench.slot1Name] == "3B AC 00 40 2A 00 12 25 00 64 80 00 03 10 00 90 00")
    }

    struct Reading: Decodable {
        struct Person: Decodable {
            var nom: String?
            var prenom: String?
            var naissance: String?
            var nir: String?
        }
        var atr: String
        var persons: [Person]
    }

    static func readWithPyscard(_ reader: String) async throws -> ChildProcess.Output {
        try await ChildProcess.run(URL(fileURLWithPath: "/usr/bin/python3"), [pythonScript, reader])
    }

    /// Waits until pcscd has polled the card of `slot` on its current connection and reports it in `reader`.
    static func waitForCard(_ slot: VirtualSlot, _ reader: String) async throws -> Bool {
        guard await slot.wait(timeout: .seconds(20), until: { $0.isConnected && $0.atrRequests >= 1 }) else { return false }
        return try await eventually(timeout: .seconds(20)) { try await scan()[reader] != nil ? true : nil } ?? false
    }

    @Test("pyscard reads the identity and NIR files with the public APDU sequence", arguments: ["family.json", "corsica.json"])
    func pyscardReadsIdentity(_ fixture: String) async throws {
        let bench = try await Self.bench(vitale: fixture, cps: "cps-nurse.json")
        defer { bench.stop() }
        #expect(try await Self.waitForCard(bench.vitaleSlot, bench.slot0Name))
        let result = try await Self.readWithPyscard(bench.slot0Name)
        #expect(result.status == 0, "pyscard: \(result.stderr)")
        let reading = try JSONDecoder().decode(Reading.self, from: Data(result.stdout.utf8))
        let expected = try Fixtures.image(fixture).vitale!.beneficiaries
        #expect(reading.persons.map(\.nom) == expected.map(\.nomUsuel))
        #expect(reading.persons.map(\.prenom) == expected.map(\.prenom))
        #expect(reading.persons.map(\.naissance) == expected.map(\.dateOfBirth))
        #expect(reading.persons.map(\.nir) == expected.map(\.nir))
    }

    @Test("A card pulled out during a read gives the reader an error; once reinserted it answers again")
    func removalDuringRead() async throws {
        let bench = try await Self.bench(vitale: "family.json", cps: "cps-nurse.json")
        defer { bench.stop() }
        #expect(try await Self.waitForCard(bench.vitaleSlot, bench.slot0Name))
        // SELECT MF (61XX) and GET RESPONSE are answered, the card is pulled out during READ BINARY.
        bench.vitaleSlot.inject(.removeAfter(apdus: 2))
        let failed = try await Self.readWithPyscard(bench.slot0Name)
        #expect(failed.status == 3, "pyscard: \(failed.stderr)")
        #expect(failed.stderr.contains("card removed"))
        #expect(bench.vitaleSlot.status.isCardPresent == false)
        #expect(bench.vitaleSlot.status.apdusSinceInsertion == 2)

        bench.vitaleSlot.insert(try Fixtures.card("family.json"))
        #expect(try await Self.waitForCard(bench.vitaleSlot, bench.slot0Name))
        let again = try await Self.readWithPyscard(bench.slot0Name)
        #expect(again.status == 0, "pyscard after reinsertion: \(again.stderr)")
        #expect(try JSONDecoder().decode(Reading.self, from: Data(again.stdout.utf8)).persons.count == 4)
    }
}
